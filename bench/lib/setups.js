'use strict';
/**
 * The setups compared, each a process serving bench/app.js. `env(sink)` points its telemetry at the
 * bench sink under its own key, so that what each one sends is counted separately.
 */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const preload = (file) => ['--import', `./${path.relative(ROOT, path.join(ROOT, file)).split(path.sep).join('/')}`];

/** @typedef {{ key: string, label: string, args: string[], rate?: number, errorEvents: boolean, optIn?: boolean, env: (sink: any, projectId: number) => Record<string, string> }} Setup */

/**
 * Ours at a rate, from a build directory (dist/ by default; `--compare <dir>` adds the same setups from
 * another build, e.g. a copy of dist/ made before a change, so that both run in the same rotations).
 */
function oursSetup(rate, { prefix = 'ours', dist = 'dist', label = 'ours (full observability())' } = {}) {
  const key = `${prefix}-${rate.toFixed(1)}`;
  return {
    key,
    label: `${label}, rate ${rate.toFixed(1)}`,
    args: ['--import', path.resolve(ROOT, dist, 'src', 'register.js')],
    rate,
    errorEvents: true,
    env: (sink, projectId) => ({
      SENTRY_DSN: sink.dsnFor(key, projectId),
      SENTRY_TRACES_SAMPLE_RATE: String(rate),
      SENTRY_ENVIRONMENT: 'bench',
      SENTRY_LOCAL_VIEW: '0',
      BENCH_DIST: path.resolve(ROOT, dist),
    }),
  };
}

/** @type {Setup[]} */
const SETUPS = [
  { key: 'bare', label: 'bare Express 5', args: [], errorEvents: false, env: () => ({}) },
  // Not a peer: the floor of any per-request context (see bench/preload/als.cjs). Run it by name.
  { key: 'bare-als', label: 'bare + AsyncLocalStorage.run per request', args: preload('bench/preload/als.cjs'), errorEvents: false, optIn: true, env: () => ({}) },
  // The same, plus per-request state kept on the request and the response themselves (3 symbol keys each).
  {
    key: 'bare-als-props',
    label: 'bare + AsyncLocalStorage.run + 3 own properties on req and res',
    args: preload('bench/preload/als.cjs'),
    errorEvents: false,
    optIn: true,
    env: () => ({ BENCH_OWN_PROPERTIES: '3' }),
  },
  // The same context entered from Node's diagnostics_channel instead of a patched Server#emit.
  {
    key: 'bare-als-dc',
    label: 'bare + AsyncLocalStorage.enterWith from diagnostics_channel',
    args: preload('bench/preload/als.cjs'),
    errorEvents: false,
    optIn: true,
    env: () => ({ BENCH_SERVER_HOOK: 'diagnostics_channel' }),
  },
  // Not a peer either: the least a tracer exporting one span per request costs (bench/preload/floor.cjs).
  ...[
    ['floor-1.0', 'floor: one minimal span per request, exported', 'emit'],
    ['floor-dc-1.0', 'floor, its span started and ended from diagnostics_channel', 'diagnostics_channel'],
  ].map(([key, label, hook]) => ({
    key,
    label,
    args: preload('bench/preload/floor.cjs'),
    rate: 1,
    errorEvents: false,
    optIn: true,
    env: (sink) => ({ BENCH_OTLP_URL: sink.otlpUrlFor(key), BENCH_SERVER_HOOK: hook }),
  })),
  oursSetup(1),
  oursSetup(0.2),
  ...[1, 0.2].map((rate) => ({
    key: `sentry-${rate.toFixed(1)}`,
    label: `@sentry/node 11 default, rate ${rate.toFixed(1)}`,
    args: preload('bench/preload/sentry.mjs'),
    rate,
    errorEvents: true,
    env: (sink, projectId) => ({ SENTRY_DSN: sink.dsnFor(`sentry-${rate.toFixed(1)}`, projectId), BENCH_RATE: String(rate) }),
  })),
  {
    key: 'otel-auto',
    label: 'OTel NodeSDK + auto-instrumentations',
    args: preload('bench/preload/otel.cjs'),
    rate: 1,
    errorEvents: false,
    env: (sink) => ({ BENCH_OTEL: 'auto', BENCH_OTLP_URL: sink.otlpUrlFor('otel-auto') }),
  },
  {
    key: 'otel-min',
    label: 'OTel NodeSDK, http + express',
    args: preload('bench/preload/otel.cjs'),
    rate: 1,
    errorEvents: false,
    env: (sink) => ({ BENCH_OTEL: 'minimal', BENCH_OTLP_URL: sink.otlpUrlFor('otel-min') }),
  },
  {
    key: 'otel-min-0.2',
    label: 'OTel http + express, ParentBased(0.2)',
    args: preload('bench/preload/otel.cjs'),
    rate: 0.2,
    errorEvents: false,
    env: (sink) => ({ BENCH_OTEL: 'minimal', BENCH_RATE: '0.2', BENCH_OTLP_URL: sink.otlpUrlFor('otel-min-0.2') }),
  },
];

/**
 * `--variant name:VAR=value,VAR2=value`: ours at rate 1.0 with extra environment, for ablations
 * (e.g. `nomw:BENCH_NO_MIDDLEWARE=1`, `noexport:SENTRY_DSN=`, `nootel:OTEL_SDK_DISABLED=true`).
 */
function parseVariant(text) {
  const [name, assignments = ''] = text.split(/:(.*)/s);
  if (!name) throw new TypeError(`--variant ${text}: use name:VAR=value,VAR2=value`);
  const env = Object.fromEntries(assignments.split(',').filter(Boolean).map((pair) => {
    const [variable, value = ''] = pair.split(/=(.*)/s);
    return [variable, value];
  }));
  return { name, env };
}

/** The setup of a parsed `--variant`: ours at 1.0, its telemetry counted under the variant's own key. */
function variantSetup(variant) {
  const base = oursSetup(1, { prefix: variant.name, label: `ours, ${variant.name}` });
  // The DSN must name the variant's own key, or the sink would count what it sends under another one.
  const env = (sink, projectId) => ({ ...base.env(sink, projectId), SENTRY_DSN: sink.dsnFor(variant.name, projectId), ...variant.env });
  return { ...base, key: variant.name, label: `ours ${JSON.stringify(variant.env)}`, env };
}

/** Variables of the runner's environment that would change a setup's configuration. */
const CONFIG_VARIABLES = /^(SENTRY_|OTEL_|EXPRESS_OTEL_SENTRY_|BENCH_|NODE_OPTIONS$|NODE_ENV$)/;

/** `--compare <dir>`: ours at both rates from that build, as `cmp-1.0` and `cmp-0.2`. */
function compareSetups(dist) {
  return [1, 0.2].map((rate) => oursSetup(rate, { prefix: 'cmp', dist, label: `ours from ${dist}` }));
}

/** The `cmp-<rate>` setups that `--compare` runs beside the selected `ours-<rate>` ones (in every bench tool). */
function comparedKeys(selectedKeys) {
  return selectedKeys.filter((key) => key.startsWith('ours-')).map((key) => key.replace('ours-', 'cmp-'));
}

module.exports = { SETUPS, ROOT, CONFIG_VARIABLES, oursSetup, compareSetups, comparedKeys, parseVariant, variantSetup };
