/**
 * Loaded by mocha before any test file (see .mocharc.json): the test kit starts the real pipelines
 * before express, pg and knex are required, so that they are instrumented in this process.
 */
import { createTestkit } from '../../src/testing';

export const kit = createTestkit({ environment: 'test', logger: { debug() {}, info() {}, warn: console.warn, error: console.error } });

/**
 * Root hooks: whatever a test set in motion (events still being processed, spans in a batch) is
 * delivered before the next test resets the kit, so no test sees another's stragglers.
 */
export const mochaHooks = {
  async afterEach(): Promise<void> {
    await kit.flush();
  },
};
