import assert from 'node:assert/strict';
import request from 'supertest';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

/** router 2.0 to 2.2 (Express 5 lockfiles older than router 2.3) kept the matched path on the layer. */
function keepMatchedPathOnLayers(): () => void {
  const Layer = require('router/lib/layer') as { prototype: { match(path: string): boolean; path?: string } };
  const match = Layer.prototype.match;
  Layer.prototype.match = function (this: { path?: string }, path: string) {
    const matched = match.call(this, path);
    if (matched) this.path = path;
    return matched;
  };
  return () => {
    Layer.prototype.match = match;
  };
}

describe('route span names: by the Express major, not by the router package under it', () => {
  beforeEach(() => kit.reset());

  for (const { name, express } of EXPRESS_VERSIONS) {
    const expected = name === 'Express 4' ? 'request handler - /r/:id' : 'request handler';
    for (const router of ['as installed', 'a router that keeps the matched path (router 2.0 to 2.2)']) {
      it(`${name}, ${router}: ${expected}`, async () => {
        const restore = router === 'as installed' ? () => undefined : keepMatchedPathOnLayers();
        try {
          const app = express();
          app.get('/r/:id', (_req, res) => res.json({ ok: true }));
          await request(app).get('/r/7').expect(200);
          const [route] = await kit.waitForSpans((span) => span.attributes['express.type'] === 'request_handler');
          assert.equal(route.name, expected);
          assert.equal(route.attributes['http.route'], '/r/:id');
        } finally {
          restore();
        }
      });
    }
  }
});
