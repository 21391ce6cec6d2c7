import assert from 'node:assert/strict';
import { parseResourceAttributes } from '../../src/config/resource-attributes';

describe('parseResourceAttributes (OTEL_RESOURCE_ATTRIBUTES)', () => {
  const valid: Array<[string, string | undefined, Record<string, string>]> = [
    ['unset', undefined, {}],
    ['empty', '', {}],
    ['one pair', 'service.namespace=salon', { 'service.namespace': 'salon' }],
    ['several, trimmed, empty entries skipped', ' a = 1 ,, b=2 ,', { a: '1', b: '2' }],
    ['percent-decoded keys and values', 'k8s.pod.name=web%2C1,team%3Dx=a%20b', { 'k8s.pod.name': 'web,1', 'team=x': 'a b' }],
    ['an empty value', 'a=', { a: '' }],
    ['the last of a repeated key', 'a=1,a=2', { a: '2' }],
    ['255 characters', `k=${'v'.repeat(255)}`, { k: 'v'.repeat(255) }],
  ];
  for (const [name, raw, attributes] of valid) {
    it(`reads ${name}`, () => assert.deepEqual(parseResourceAttributes(raw), { attributes }));
  }

  const invalid: Array<[string, string, RegExp]> = [
    ['an entry without =', 'a=1,b', /not key=value/],
    ['an unencoded = in a value', 'a=1=2', /not key=value/],
    ['bad percent-encoding', 'a=%E0%A4%A', /percent-encoding/],
    ['an empty key', ' =1', /empty key/],
    ['a value over 255 characters', `k=${'v'.repeat(256)}`, /longer than 255/],
  ];
  for (const [name, raw, problem] of invalid) {
    it(`discards the whole value for ${name}, saying why`, () => {
      const result = parseResourceAttributes(`good=1,${raw}`);
      assert.deepEqual(result.attributes, {});
      assert.match(result.problem ?? '', problem);
    });
  }
});
