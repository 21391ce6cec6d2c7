import assert from 'node:assert/strict';
import { checkTelemetryOptions } from '../../src/config/check-options';
import { resolveConfig } from '../../src/config/resolve';
import type { TelemetryOptions } from '../../src/config/types';

describe('initTelemetry options from a JavaScript caller: a wrong name or type is reported and left out', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a misspelt name', { tracesSamplerate: 0.2 }, /^Invalid option tracesSamplerate: received "a number"; expected an option of initTelemetry \(did you mean tracesSampleRate\?\)\. It is ignored\.$/],
    ['an unknown name far from any option: the options are listed', { colour: 'red' }, /Invalid option colour: received "a string"; expected an option of initTelemetry \(dsn, environment, .*spotlight\)/],
    ['an unknown name holding a secret: its value is not printed', { dnss: 'https://abc123@o1.ingest.sentry.io/1' }, /^(?!.*abc123).*did you mean dsn\?/],
    ['a number where a string goes', { environment: 42 }, /^Invalid environment: received "42"; expected a string\. The environment or the default applies instead\.$/],
    ['a string where a boolean goes', { sendSpansToSentry: 'false' }, /Invalid sendSpansToSentry: received "false"; expected true or false/],
    ['an object where a string goes: its type only', { release: { v: 1 } }, /Invalid release: received "an object"; expected a string/],
    ['a string where a function goes', { classifyError: 'payment' }, /Invalid classifyError: received "payment"; expected a function of the error/],
    ['a logger without its methods', { logger: {} }, /Invalid logger: received "an object"; expected an object with debug, info, warn and error functions/],
    ['a boolean where a rate goes', { tracesSampleRate: true }, /Invalid tracesSampleRate: received "true"; expected a number from 0 to 1/],
  ];
  for (const [name, options, expected] of cases) {
    it(name, () => {
      const copy = structuredClone({ ...options, logger: undefined });
      const { options: checked, problems } = checkTelemetryOptions(options as TelemetryOptions);
      assert.equal(problems.length, 1);
      assert.match(problems[0].message, expected);
      assert.deepEqual(Object.keys(checked), [], 'the rejected option is left out');
      assert.deepEqual({ ...options, logger: undefined }, copy, 'the caller\'s options are not mutated');
    });
  }

  it('what is right is kept as it is', () => {
    const classifyError = () => undefined;
    const options: TelemetryOptions = { dsn: '', environment: 'staging', tracesSampleRate: 0.5, strict: false, logger: console, classifyError, spotlight: 'http://localhost:8969/stream', ignoreErrors: ['x'] };
    const { options: checked, problems } = checkTelemetryOptions(options);
    assert.deepEqual(problems, []);
    assert.deepEqual(checked, options);
  });

  it('resolveConfig: the environment and defaults apply instead, and each problem is logged (strict: thrown)', () => {
    const config = resolveConfig({ environment: 42, sendSpansToSentry: 'false', tracesSamplerate: 0.2 } as never, { SENTRY_ENVIRONMENT: 'staging' });
    assert.equal(config.environment, 'staging');
    assert.equal(config.sendSpansToSentry, true);
    assert.equal(config.tracesSampleRate, 1);
    assert.equal(config.problems.length, 3);
    assert.throws(() => resolveConfig({ environment: 42, strict: true } as never, {}), /Invalid environment: received "42"/);
  });

  it('a rate given as text (an app\'s own variable, Number() forgotten) is read as a variable\'s is', () => {
    assert.equal(resolveConfig({ tracesSampleRate: '0.25' as never }, {}).tracesSampleRate, 0.25);
    assert.match(resolveConfig({ tracesSampleRate: 'lots' as never }, {}).problems[0], /^Invalid tracesSampleRate: received "lots"/);
  });

  it('a rate out of range given as an option is reported under the option\'s name, not the variable\'s', () => {
    assert.match(resolveConfig({ tracesSampleRate: 2 }, {}).problems[0], /^Invalid tracesSampleRate: received "2"/);
    assert.match(resolveConfig({ profilesSampleRate: -1 }, {}).problems[0], /^Invalid profilesSampleRate: received "-1"/);
    assert.match(resolveConfig({}, { SENTRY_TRACES_SAMPLE_RATE: '2' }).problems[0], /^Invalid SENTRY_TRACES_SAMPLE_RATE/);
  });
});
