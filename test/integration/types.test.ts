/**
 * The declarations as an app's TypeScript finds them: through the package's `exports` (node16, bundler)
 * and, for projects still on `"module": "commonjs"` (moduleResolution node10, which ignores `exports`),
 * through `typesVersions`. Each configuration type-checks one file that uses the four entry points.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/child-app';

const APP = `
import { initTelemetry, captureException, addBreadcrumb, type SeverityLevel } from 'express-otel-sentry';
import { observability } from 'express-otel-sentry/middleware';
import { createTestkit, type CapturedEvent } from 'express-otel-sentry/testing';
import 'express-otel-sentry/register';
const telemetry = initTelemetry({ tracesSampleRate: 0.2, dsn: process.env.SENTRY_DSN });
const obs = observability({ user: () => ({ id: 1 }) });
const kit = createTestkit();
const id: string = captureException(new Error('x'));
const events: CapturedEvent[] = kit.events();
const level: SeverityLevel = 'warning'; // API.md names it in addBreadcrumb's signature
addBreadcrumb({ message: 'm', level });
void telemetry.flush(100); void obs.request; void id; void events;
`;

describe('TypeScript finds the declarations of every entry point', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eos-types-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'express-otel-sentry'), 'dir');
    writeFileSync(join(dir, 'app.ts'), APP);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // The last: the strictest settings' optional properties (an option given as process.env.X may be undefined).
  for (const [module, moduleResolution, ...flags] of [['commonjs', 'node10'], ['node16', 'node16'], ['esnext', 'bundler'], ['node16', 'node16', '--exactOptionalPropertyTypes']]) {
    it(`"module": "${module}", "moduleResolution": "${moduleResolution}"${flags.length ? `, ${flags.join(' ')}` : ''}`, () => {
      const result = spawnSync(process.execPath, [
        join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--skipLibCheck', '--esModuleInterop', ...flags,
        '--module', module, '--moduleResolution', moduleResolution, '--target', 'es2022', '--types', 'node',
        '--typeRoots', join(ROOT, 'node_modules', '@types'), join(dir, 'app.ts'),
      ], { cwd: dir, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stdout + result.stderr);
    });
  }
});
