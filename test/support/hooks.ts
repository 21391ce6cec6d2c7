import { getTestDatabase } from './database';
import { startFakeSentry, type FakeSentry } from './fake-sentry';

export interface FakeBackend {
  fake: FakeSentry;
  databaseUrl: string;
}

/**
 * Mocha hooks for a suite of child-process scenarios: one fake Sentry for the suite (cleared before each
 * test) and the test database. Read the fields inside tests, once the hooks have run.
 */
export function useFakeBackend(): FakeBackend {
  const backend = {} as FakeBackend;
  before(async () => {
    backend.fake = await startFakeSentry();
    backend.databaseUrl = (await getTestDatabase()).url;
  });
  after(async () => backend.fake?.close());
  beforeEach(() => backend.fake.reset());
  return backend;
}
