import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as Sentry from '@sentry/node';
import type { Integration } from '@sentry/core';
import { contextLinesIntegration } from '../../../src/sentry/node/context-lines';
import { nodeContextIntegration } from '../../../src/sentry/node/context';
import { onUncaughtExceptionIntegration, onUnhandledRejectionIntegration } from '../../../src/sentry/node/global-handlers';
import { modulesIntegration } from '../../../src/sentry/node/modules';
import { openTelemetryIntegration } from '../../../src/sentry/node/opentelemetry';
import { processSessionIntegration } from '../../../src/sentry/node/process-session';
import { systemErrorIntegration } from '../../../src/sentry/node/system-error';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Runs initTelemetry in a child process, then prints `report` (an expression) as JSON. */
function afterInit(report: string, env: NodeJS.ProcessEnv): unknown {
  const script = `
    require('./src/telemetry').initTelemetry({ logger: { info() {}, warn() {}, error() {} } });
    console.log(JSON.stringify(${report}));
    process.exit(0);`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT, env: { ...process.env, SENTRY_DSN: 'http://k@127.0.0.1:9/1', SENTRY_LOCAL_VIEW: '0', ...env }, encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? 'null');
}

/** Which Sentry packages a process has loaded once telemetry is initialised. */
function packagesLoadedByInit(env: NodeJS.ProcessEnv): string[] {
  const loaded = "[...new Set(Object.keys(require.cache).map((f) => (/node_modules\\/(@sentry\\/[^/]+)/.exec(f) || [])[1]).filter(Boolean))].sort()";
  return afterInit(loaded, env) as string[];
}

describe('the Sentry client without @sentry/node at run time', function () {
  this.timeout(60_000);

  // Proxies cleared: with one, Sentry's transport needs @sentry/node's proxy agent (the next test).
  const noProxy = { https_proxy: '', http_proxy: '' };
  for (const [name, env] of [['tracing on', noProxy], ['tracing off (OTEL_SDK_DISABLED)', { ...noProxy, OTEL_SDK_DISABLED: 'true' }]] as const) {
    it(`initTelemetry loads @sentry/core only, ${name}`, () => {
      assert.deepEqual(packagesLoadedByInit(env), ['@sentry/conventions', '@sentry/core']);
    });
  }

  it("leaves Sentry's own tracing off whatever SENTRY_TRACES_SAMPLE_RATE says (the rate is OpenTelemetry's)", () => {
    const options = "((options) => ({ rate: options.tracesSampleRate ?? null, sampler: typeof options.tracesSampler }))(require('@sentry/core').getClient().getOptions())";
    assert.deepEqual(afterInit(options, { SENTRY_TRACES_SAMPLE_RATE: '1' }), { rate: null, sampler: 'undefined' });
  });

  it('loads @sentry/node when a proxy needs its agent', () => {
    assert.ok(packagesLoadedByInit({ https_proxy: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9' }).includes('@sentry/node'));
  });

  it('forwards events to Spotlight when it is on (its integration loaded from @sentry/node then)', async () => {
    const received: string[] = [];
    const sidecar = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push(`${req.url} ${req.headers['content-type']} ${body}`);
        res.end();
      });
    });
    await new Promise<void>((resolve) => sidecar.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(sidecar.address() as AddressInfo).port}/stream`;
    const script = `
      const telemetry = require('./src/telemetry').initTelemetry({ logger: { info() {}, warn() {}, error() {} } });
      require('./src/helpers').captureException(new Error('seen in Spotlight'));
      telemetry.flush(2000).then(() => setTimeout(() => process.exit(0), 200));`;
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', '-e', script], {
          cwd: ROOT, env: { ...process.env, SENTRY_DSN: '', SENTRY_SPOTLIGHT: url, SENTRY_LOCAL_VIEW: '0' },
        }, (error) => (error ? reject(error) : resolve()));
      });
    } finally {
      sidecar.close();
    }
    const event = received.find((request) => request.includes('seen in Spotlight'));
    assert.ok(event, `Spotlight received: ${received.map((r) => r.slice(0, 80)).join(' | ') || 'nothing'}`);
    assert.match(event, /^\/stream application\/x-sentry-envelope /);
  });

  const integrations: Array<[string, () => Integration, () => Integration]> = [
    ['OnUncaughtException', onUncaughtExceptionIntegration, Sentry.onUncaughtExceptionIntegration],
    ['OnUnhandledRejection', onUnhandledRejectionIntegration, Sentry.onUnhandledRejectionIntegration],
    ['NodeSystemError', systemErrorIntegration, Sentry.systemErrorIntegration],
    ['ProcessSession', processSessionIntegration, Sentry.processSessionIntegration],
    ['ContextLines', contextLinesIntegration, Sentry.contextLinesIntegration],
    ['Context', nodeContextIntegration, Sentry.nodeContextIntegration],
    ['Modules', modulesIntegration, Sentry.modulesIntegration],
    ['OpenTelemetry', openTelemetryIntegration, Sentry.openTelemetryIntegration],
  ];
  for (const [name, ours, upstream] of integrations) {
    it(`keeps upstream's integration name: ${name}`, () => {
      assert.equal(ours().name, name);
      assert.equal(upstream().name, name);
    });
  }
});
