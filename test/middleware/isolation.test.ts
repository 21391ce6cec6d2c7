import assert from 'node:assert/strict';
import http from 'node:http';
import { captureException, addBreadcrumb } from '../../src';
import { observability } from '../../middleware';
import * as Sentry from '@sentry/node';
import { untracedFetch } from '../support/child-app';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

const REQUESTS = 200;

/** Resolves after a random number of turns of the event loop, so that requests interleave. */
function randomAwait(): Promise<void> {
  const turns = Math.floor(Math.random() * 5);
  let chain = Promise.resolve();
  for (let i = 0; i < turns; i++) chain = chain.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  return chain;
}

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`request isolation (${name})`, () => {
    beforeEach(() => kit.reset());

    it(`${REQUESTS} concurrent failing requests with distinct users: 0 foreign user, breadcrumb, tag or context`, async () => {
      const obs = observability({
        user: async (req) => {
          await randomAwait();
          return { id: String(req.params.id ?? req.path.split('/')[2]) };
        },
      });
      const app = express();
      app.use(obs.request);
      app.get('/users/:id', async (req, _res, next) => {
        const id = req.params.id;
        try {
          await randomAwait();
          addBreadcrumb({ message: `crumb-${id}`, category: 'test' });
          Sentry.setTag('request.owner', id);
          Sentry.setContext('owner', { id });
          await randomAwait();
          if (Number(id) % 2 === 0) captureException(new Error(`captured-${id}`), { owner: id });
          await randomAwait();
          throw new Error(`failed-${id}`);
        } catch (error) {
          next(error);
        }
      });
      app.use(obs.errors);
      const server = http.createServer(app).listen(0);
      const port = (server.address() as { port: number }).port;
      try {
        const statuses = await Promise.all(
          Array.from({ length: REQUESTS }, (_, i) => untracedFetch(`http://127.0.0.1:${port}/users/${i}`).then((r) => r.status)),
        );
        assert.ok(statuses.every((status) => status === 500));
      } finally {
        server.close();
      }
      await kit.waitForEvents(REQUESTS * 1.5, { timeout: 20_000 });
      const events = kit.events().filter((event) => /^(failed|captured)-\d+$/.test(event.exception?.values?.[0]?.value ?? ''));
      assert.equal(events.length, REQUESTS * 1.5);
      const foreign: string[] = [];
      for (const event of events) {
        const text = event.exception?.values?.[0]?.value ?? '';
        const owner = /-(\d+)$/.exec(text)?.[1];
        if (event.user?.id !== owner) foreign.push(`${text}: user ${event.user?.id}`);
        if (event.tags?.['request.owner'] !== owner) foreign.push(`${text}: tag ${String(event.tags?.["request.owner"])}`);
        if ((event.contexts?.owner as { id?: string } | undefined)?.id !== owner) foreign.push(`${text}: context`);
        for (const crumb of kit.breadcrumbsOf(event)) {
          const crumbOwner = crumb.message?.startsWith('crumb-') ? crumb.message.slice(6) : crumb.category === 'request' ? /\/users\/(\d+)/.exec(crumb.message ?? '')?.[1] : owner;
          if (crumbOwner !== owner) foreign.push(`${text}: breadcrumb ${crumb.message}`);
        }
      }
      assert.deepEqual(foreign, []);
    });
  });
}
