import assert from 'node:assert/strict';
import { OTEL_BOOLEAN_WORDS, parseSwitch } from '../../src/config/switch';

describe('parseSwitch', () => {
  const cases: Array<[string | undefined, boolean | null | undefined]> = [
    [undefined, undefined], ['', undefined], ['   ', undefined],
    ['1', true], ['true', true], ['TRUE', true], ['yes', true], ['On', true], [' on ', true], ['true ', true], ['\ttrue\n', true],
    ['0', false], ['false', false], ['False', false], ['no', false], ['off', false], ['off ', false], [' 0', false],
    ['maybe', null], ['2', null], ['enabled', null], ['o n', null], ['1.0', null], ['*', null],
  ];
  for (const [raw, expected] of cases) it(`${JSON.stringify(raw)} is ${String(expected)}`, () => assert.equal(parseSwitch(raw), expected));

  const otel: Array<[string | undefined, boolean | null | undefined]> = [
    [undefined, undefined], ['', undefined], ['true', true], ['TRUE', true], ['true ', true], ['false', false], [' False', false],
    // The specification's Boolean: only true and false; anything else is to be warned of and read as false.
    ['1', null], ['yes', null], ['on', null], ['0', null],
  ];
  for (const [raw, expected] of otel) it(`OpenTelemetry's Boolean: ${JSON.stringify(raw)} is ${String(expected)}`, () => assert.equal(parseSwitch(raw, OTEL_BOOLEAN_WORDS), expected));
});
