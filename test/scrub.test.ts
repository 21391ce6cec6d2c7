import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { CIRCULAR, createScrubber, defaultScrubber, FILTERED, luhnValid, TRUNCATED } from '../src/scrub';

const F = FILTERED;
const s = createScrubber();

/** Independent of src/scrub/luhn.ts so the tests do not trust the code under test. */
function withCheckDigit(payload: string): string {
  for (let d = 0; d <= 9; d++) {
    const candidate = payload + d;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let x = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

/** Everything reachable in the output, Maps and Sets included (JSON.stringify would show them as {}). */
function dump(value: unknown): string {
  const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
  return json + inspect(value, { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity, breakLength: Infinity });
}

describe('scrub: keys', () => {
  const sensitive = [
    // sentry-python DEFAULT_DENYLIST + PII list
    'password', 'passwd', 'secret', 'api_key', 'apikey', 'auth', 'credentials', 'mysql_pwd', 'privatekey', 'private_key',
    'token', 'session', 'csrftoken', 'sessionid', 'x_csrftoken', 'x_forwarded_for', 'set_cookie', 'cookie', 'authorization',
    'x_api_key', 'aiohttp_session', 'connect.sid', 'csrf_token', 'csrf', '_csrf', '_csrf_token', 'PHPSESSID', '_session',
    'symfony', 'user_session', '_xsrf', 'XSRF-TOKEN', 'ip_address', 'remote_addr', 'x_real_ip',
    // Relay
    'bearer', 'db_password', 'clientSecret', 'user.credentials',
    // Rollbar scrubFields + scrubHeaders
    'pw', 'pass', 'password_confirmation', 'passwordConfirmation', 'confirm_password', 'confirmPassword', 'secret_token',
    'secretToken', 'secret_key', 'secretKey', 'access_token', 'accessToken', 'authenticity_token', 'oauth_token',
    'user_session_secret', 'request.session.csrf', 'www-authorization', 'http_authorization', 'omniauth.auth',
    'oauth-access-token', 'x-access-token', 'http_x_csrf_token',
    // Elastic APM (wildcards read at word level)
    'pwd', 'signingKey', 'refresh_token', 'sessionData', 'credit_card', 'cardNumber', 'authToken', 'set-cookie',
    // casing and separators
    'APIKey', 'X-API-KEY', 'x-api-key', 'private-key', 'Api.Key', 'PASSWORD', 'userpassword', 'accesstoken',
    // second factors, recovery codes, signed assertions
    'hmac', 'x-hmac', 'mfaCode', 'two_factor_code', 'verification_code', 'recovery_codes', 'backupCode', 'SAMLResponse',
    // card data and other regulated identifiers
    'card_number', 'card', 'cvv', 'cvc', 'cvv2', 'pan', 'expiry', 'exp_month', 'pin', 'otp', 'ssn', 'iban',
    'social_security_number', 'пароль',
    // a sensitive word still wins where the neighbour describes nothing
    'message_key', 's3_key', 'api_key_id', 'auth_token', 'card_holder', 'tokens',
    // ...and where a last word or a qualifier may name the credential itself (review of the rules)
    'primaryKey', 'primary_key', 'secondaryKey', 'routing_key', 'routingKey', 'cachedTokens', 'cached_tokens',
    'jwt_err', 'password_error', 'passwordError', 'secret_ts', 'token_at', 'api_key.js.bak',
    // headers
    'proxy-authorization', 'x-auth-token', 'x-csrf-token', 'x-sentry-auth', 'x-amz-security-token', 'x-hub-signature',
  ];
  const benign = [
    'author', 'authors', 'authority', 'keyboard', 'monkey', 'donkey', 'hockey', 'passenger', 'passage', 'compass', 'bypass',
    'passport', 'tokenizer_version', 'session_count', 'sessionTimeout', 'possession', 'secretary', 'company', 'spin',
    'amount', 'user_id', 'booking_id', 'email', 'username', 'status', 'message', 'http.method', 'db.statement', 'url',
    'description', 'level', 'category', 'span_id', 'trace_id', 'release', 'environment',
    'code', 'error_code', 'status_code', 'country_code', 'postal_code',
    // names that describe a value: errors, source files, counts, times, and qualified keys and tokens
    'TokenExpiredError', 'JsonWebTokenError', 'StripeCardException', 'auth.js', 'token.ts', 'keys.mjs', 'pass_count',
    'cacheKey', 'sortKey', 'publicKey', 'partition_key', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens',
    'gen_ai.request.max_tokens', 'messaging.kafka.message.key', 'messaging.rabbitmq.destination.routing_key', 'aws.s3.key',
    'auth_method', 'authProvider', 'card_brand', 'card_last4', 'credit_balance',
  ];
  const moreSensitive = ['contraseña', 'mot_de_passe', 'senha', 'wachtwoord', 'securityAnswer', 'security_answer', 'ＰＡＳＳＷＯＲＤ', 'ａｐｉ＿ｋｅｙ'];
  for (const key of moreSensitive) it(`sensitive: ${key}`, () => assert.equal(s.isSensitiveKey(key), true));
  for (const key of sensitive) it(`sensitive: ${key}`, () => assert.equal(s.isSensitiveKey(key), true));
  for (const key of benign) it(`benign: ${key}`, () => assert.equal(s.isSensitiveKey(key), false));

  it('treats an unreadable key as sensitive (fail closed)', () => {
    assert.equal(s.isSensitiveKey(Object.create(null) as string), true);
  });
});

describe('scrub: value patterns in free text', () => {
  const visa = withCheckDigit('411111111111111');
  const cases: Array<[string, string, string]> = [
    ['card, plain', `paid with ${visa} today`, `paid with ${F} today`],
    ['card, spaces', 'card 4111 1111 1111 1111 ok', `card ${F} ok`],
    ['card, dashes', 'card 5555-5555-5555-4444.', `card ${F}.`],
    ['card, amex 4-6-5', 'amex 3782 822463 10005', `amex ${F}`],
    ['card, 13 digits', `v ${withCheckDigit('422222222222')}`, `v ${F}`],
    ['card, 19 digits 4-4-4-4-3', `x ${withCheckDigit('622222222222222222').replace(/(\d{4})(?=\d)/g, '$1 ')}`, `x ${F}`],
    ['card glued to letters', `ref${visa}x`, `ref${F}x`],
    ['card, double spaces', 'card 4111  1111  1111  1111 ok', `card ${F} ok`],
    ['card, dots', 'card 4111.1111.1111.1111 ok', `card ${F} ok`],
    ['card, slashes', 'card 4111/1111/1111/1111 ok', `card ${F} ok`],
    ['card, underscores', 'card 4111_1111_1111_1111 ok', `card ${F} ok`],
    ['card, no-break spaces', 'card 4111\u00a01111\u00a01111\u00a01111 ok', `card ${F} ok`],
    ['card, en dashes', 'card 4111\u20131111\u20131111\u20131111 ok', `card ${F} ok`],
    ['card, space dash space', 'card 4111 - 1111 - 1111 - 1111 ok', `card ${F} ok`],
    ['JWT', 'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw end', `jwt ${F} end`],
    ['JWT after a dash (a tracestate value)', 'tok=Bearer-eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw', `tok=${F}`],
    ['JWT after an underscore', 'session_eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw end', `${F} end`],
    ['JWT after seven joined words', 'x-request-id-550e8400-e29b-41d4-eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw end', `${F} end`],
    ['JWT after doubled separators and a long word', `a--${'w'.repeat(40)}__eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw end`, `${F} end`],
    ['JWT after a leading dash', '--eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw end', `${F} end`],
    ['JWT after nine joined words', 'a-b-c-d-e-f-g-h-i-eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw end', `${F} end`],
    ['JWT after a 128-character hex word', `${'f'.repeat(128)}-eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw end`, `${F} end`],
    ['JWT after five dashes', 'a-----eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw end', `${F} end`],
    ['JWT after word.', 'session.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw end', `session.${F} end`],
    ['JWT after v1.', 'token v1.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw', `token v1.${F}`],
    ['eyJ inside a word, not a JWT header: kept', 'xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw', 'xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnX2FiYw'],
    ['hyphenated words with eyJ: kept', 'the-eyJ-thing build-eyJa.eyJb foo-eyJab.txt', 'the-eyJ-thing build-eyJa.eyJb foo-eyJab.txt'],
    ['Bearer', 'sent Bearer abc.DEF-123_x~ now', `sent Bearer ${F} now`],
    ['bearer lowercase', 'bearer zzz', `bearer ${F}`],
    ['Basic', 'Basic dXNlcjpwYXNz', `Basic ${F}`],
    ['userinfo', 'postgres://user:pass@host:5432/db', `postgres://user:${F}@host:5432/db`],
    ['userinfo with @', 'redis://:p@ss@host/0', `redis://:${F}@host/0`],
    ['userinfo whose user is an e-mail address', 'login failed smtps://ann@example.com:pw@smtp.example.com:465 x', `login failed smtps://ann@example.com:${F}@smtp.example.com:465 x`],
    ['an e-mail address in a URL with a port, no password', 'ssh://git@github.com:22/repo and mailto ok', 'ssh://git@github.com:22/repo and mailto ok'],
    ['Stripe secret', 'key sk_live_abcdefghijklmnop1234', `key ${F}`],
    ['Stripe test', 'sk_test_4eC39HqLyjWDarjtT1zdp7dc', F],
    ['Stripe restricted', 'rk_live_abcdefghijklmnop', F],
    ['GitHub ghp', `t=ghp_${'a1B2'.repeat(9)}`, `t=${F}`],
    ['GitHub ghs', `ghs_${'Z'.repeat(36)}`, F],
    ['GitHub fine-grained', `github_pat_11ABCDEFG0${'x'.repeat(40)}`, F],
    ['AWS AKIA', 'aws AKIAIOSFODNN7EXAMPLE here', `aws ${F} here`],
    ['AWS ASIA', 'ASIAIOSFODNN7EXAMPLE', F],
    ['Slack', 'xoxb-123456789012-1234567890123-abcdefABCDEF', F],
    ['SendGrid', 'mail key SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq', `mail key ${F}`],
    ['Google OAuth access token', 'got ya29.a0AfH6SMBx3abcdefghijklmnop', `got ${F}`],
    ['a Slack webhook URL', 'post to https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX failed', `post to https://hooks.slack.com/services/${F} failed`],
    ['a URL in text with a percent-encoded secret', 'GET https://app.example.com/cb?next=%2Fhome%3Faccess_token%3Dzqx40encoded failed', `GET https://app.example.com/cb?next=${F} failed`],
    ['a Discord webhook URL', 'https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz-_ABC', `https://discord.com/api/webhooks/${F}`],
    ['Google', `AIza${'SyA-1_b'.repeat(5)}`, F],
    ['PEM block', 'k=-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----\nafter', `k=${F}\nafter`],
    ['PEM truncated', 'x -----BEGIN PRIVATE KEY-----\nMIIEab', `x ${F}`],
    ['PGP block', '-----BEGIN PGP PRIVATE KEY BLOCK-----\nxyz\n-----END PGP PRIVATE KEY BLOCK-----', F],
    ['pair =', 'login failed password=hunter2 for bob', `login failed password=${F} for bob`],
    ['pair :', 'invalid token: abc123, user: x', `invalid token: ${F}, user: x`],
    ['pair, a key in another script', 'contraseña=hunter2 и пароль: hunter2; hasło=a şifre: b', `contraseña=${F} и пароль: ${F}; hasło=${F} şifre: ${F}`],
    ['pair, a non-ASCII key that is not sensitive', 'ключ=значение ñ=2', 'ключ=значение ñ=2'],
    ['pair, after a long run of CJK text with no space', `${'あ'.repeat(130)}password=hunter2`, `${'あ'.repeat(130)}password=${F}`],
    ['pair, after a digit of another script', '٣password=hunter2 ²token: abc', `٣password=${F} ²token: ${F}`],
    ['pair JSON', '{"password":"hunter 2","user":"bob"}', `{"password":"${F}","user":"bob"}`],
    ['pair escaped JSON', '{\\"apiKey\\":\\"k1\\",\\"u\\":1}', `{\\"apiKey\\":\\"${F}\\",\\"u\\":1}`],
    ['pair Python repr', "{'api_key': 'zzz'}", `{'api_key': '${F}'}`],
    ['pair form field', 'user[password]=x&user[name]=bob', `user[password]=${F}&user[name]=bob`],
    ['pair cookie line', 'Cookie: sid=abc; theme=dark\nnext', `Cookie: ${F}\nnext`],
    ['pair unterminated quote', 'password="abc def\nnext', `password="${F}\nnext`],
    ['pair in a query string', 'GET /login?next=/&sentry_key=abc', `GET /login?next=/&sentry_key=${F}`],
    ['pair whose value is a JSON array', '{"apiKeys":["k-1","k-2"],"n":1}', `{"apiKeys":${F},"n":1}`],
    ['pair whose value is an object, nested', 'secret={"a":{"b":"]"}} after', `secret=${F} after`],
    ['pair whose value is an array, in escaped JSON', '{\\"apiKeys\\":[\\"k-1\\"],\\"n\\":1}', `{\\"apiKeys\\":${F},\\"n\\":1}`],
    ['pair whose structure never closes', 'token=[1, 2\nnext', `token=${F}\nnext`],
    ['pair in a subscript', "headers['x-api-key'] = 'k-3'", `headers['x-api-key'] = '${F}'`],
    ['XML element', '<login><password>hunter2</password><user>ann</user></login>', `<login><password>${F}</password><user>ann</user></login>`],
    ['XML element with a namespace and attributes', '<ns:Token type="x">t-1</ns:Token>', `<ns:Token type="x">${F}</ns:Token>`],
    ['GraphQL: a block string argument', 'login(username: "ann", password: """Block-Pw-44""") { ok }', `login(username: "ann", password: """${F}""") { ok }`],
    ['GraphQL: a block string over lines', 'token: """line-1\nline-2""", next: 1', `token: """${F}""", next: 1`],
    ['GraphQL: a block string inside a JSON string', '{"query":"mutation { login(password: \\"\\"\\"Block-Pw-44\\"\\"\\") }"}', `{"query":"mutation { login(password: \\"\\"\\"${F}\\"\\"\\") }"}`],
    ['GraphQL: a block string holding an escaped fence', 'password: """abc\\"""def""") { ok }', `password: """${F}""") { ok }`],
    ['GraphQL: a block string never closed', 'password: """Block-Pw\nmore', `password: """${F}`],
    ['PostgreSQL: a value in an invalid-input message', 'invalid input syntax for type uuid: "tok-123"', `invalid input syntax for type uuid: "${F}"`],
    ['PostgreSQL: an integer column\'s invalid input', 'invalid input syntax for integer: "tok 123"', `invalid input syntax for integer: "${F}"`],
    ['PostgreSQL: an enum\'s invalid input', 'invalid input value for enum mood: "tok-123"', `invalid input value for enum mood: "${F}"`],
    ['PostgreSQL: a date out of range', 'date/time field value out of range: "2024-13-45 tok"', `date/time field value out of range: "${F}"`],
    ['PostgreSQL: a malformed array', 'malformed array literal: "tok-123"', `malformed array literal: "${F}"`],
    ['PostgreSQL: a malformed record', 'malformed record literal: "(tok,1)"', `malformed record literal: "${F}"`],
    ['PostgreSQL: a number out of range', 'value "99999999999" is out of range for type integer', `value "${F}" is out of range for type integer`],
    ['PostgreSQL: a to_date value', 'invalid value "tok" for "YYYY"', `invalid value "${F}" for "YYYY"`],
    ['PostgreSQL: a key\'s values', 'Key (api_token)=(tok-999) already exists.', `Key (api_token)=(${F}) already exists.`],
    ['PostgreSQL: a refused row', 'Failing row contains (1, ann@example.com, 5).', `Failing row contains (${F}).`],
    ['PostgreSQL: a refused row, text after it', 'Failing row contains (1, x). See (docs) for more', `Failing row contains (${F}). See (docs) for more`],
    ['PostgreSQL: an unterminated literal it stopped at', `unterminated quoted string at or near "'hunter2''"`, `unterminated quoted string at or near "${F}"`],
    ['PostgreSQL: a literal holding quotes', `syntax error at or near "'pa"ss' AND x"`, `syntax error at or near "${F}"`],
    ['PostgreSQL: an escape-string literal', `syntax error at or near "E'tok\\n'"`, `syntax error at or near "${F}"`],
    ['PostgreSQL: a dollar-quoted literal', 'unterminated dollar-quoted string at or near "$tag$tok-1"', `unterminated dollar-quoted string at or near "${F}"`],
    ['PostgreSQL: a keyword it stopped at stays', 'syntax error at or near "FROM"', 'syntax error at or near "FROM"'],
    ['PostgreSQL: an unterminated literal over lines, stack kept', `error: unterminated quoted string at or near "'tok\nsecond line"\n    at Parser.parse (/app/p.js:1:2)`, `error: unterminated quoted string at or near "${F}"\n    at Parser.parse (/app/p.js:1:2)`],
    ['PostgreSQL: an unterminated literal that never closes', `unterminated quoted string at or near "'tok\nmore`, `unterminated quoted string at or near "${F}`],
    ['knex: a failed query with an unterminated literal', `select * from t where pw = 'hunter2'' - unterminated quoted string at or near "'hunter2''"`, `select * from t where pw = ? - unterminated quoted string at or near "${F}"`],
    ['PostgreSQL: a literal over lines holding a quote', `unterminated quoted string at or near "'a"b\nc"d"\n    at Parser.parse (/app/p.js:1:2)`, `unterminated quoted string at or near "${F}"\n    at Parser.parse (/app/p.js:1:2)`],
    ['PostgreSQL: the second place it stopped at on a line', `syntax error at or near "FROM"; retry failed: unterminated quoted string at or near "'s3cr3t-pw`, `syntax error at or near "FROM"; retry failed: unterminated quoted string at or near "${F}`],
    ['PostgreSQL: its message as JSON writes it', `{"error":"unterminated quoted string at or near \\"'hunter2'\\""}`, `{"error":"unterminated quoted string at or near \\"${F}\\""}`],
    ['knex: a broken literal, " - " in the statement after it', `select rolname from pg_roles where rolname = 'jane.doe@corp.example and rolconnlimit - 1 > 0 - unterminated quoted string at or near "'jane.doe@corp.example and rolconnlimit - 1 > 0"`, `select rolname from pg_roles where rolname = ? - unterminated quoted string at or near "${F}"`],
    ['knex: a value the database\'s own message quotes', "select pg_temp.check_token('tok-9f8e7d6c5b4a') - token 'tok-9f8e7d6c5b4a' revoked", 'select pg_temp.check_token(?) - token ? revoked'],
    ['knex: a failed query\'s literals', `select * from "users" where "email" = 'ann@example.com' and x = 1 - column "x" does not exist`, 'select * from "users" where "email" = ? and x = 1 - column "x" does not exist'],
    ['knex: in the stack, frames kept', "error: update t set phone = '+1 555 123' where id = 1 - relation \"t\" does not exist\n    at Parser.parse (/app/node_modules/pg-protocol/dist/parser.js:283:98)", 'error: update t set phone = ? where id = 1 - relation "t" does not exist\n    at Parser.parse (/app/node_modules/pg-protocol/dist/parser.js:283:98)'],
    ['knex: a statement over several lines', "\n  SELECT id\n  FROM t WHERE code = 'Z9-reset'\n - boom", "\n  SELECT id\n  FROM t WHERE code = 'Z9-reset'\n - boom".replace("'Z9-reset'", "?")],
    ['second factor and recovery codes', 'mfaCode=123456 recovery_code=aaaa-bbbb', `mfaCode=${F} recovery_code=${F}`],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.equal(s.scrubString(input), expected));

  const kept = [
    'non-Luhn 4111111111111112',
    'ms timestamp 1732800000000 and ns 1732800000000000000',
    'amount 10000000 and 10000001',
    'uuid 550e8400-e29b-41d4-a716-446655440000 and 12345678-1234-1234-1234-123456789012',
    'float 0.4532015112830366',
    'float 4532015112830366.5 and 12.4532015112830366',
    'dates 2024/11/28, 2024.11.28 and 28.11.2024, IP 10.0.0.1, version 4.11.1',
    'dotted non-Luhn 4111.1111.1111.1112',
    'date 2024-11-28 12:00:00, phone +1 415 555 2671',
    'Stripe publishable pk_live_abcdefghijklmnop',
    'Basic plan chosen',
    'Error: token expired',
    'TokenExpiredError: jwt expired',
    'StripeCardError: Your card was declined.',
    '    at Object.verify (/app/lib/auth.js:12:5)\n    at token.ts:3:9',
    'password=%s and pin = ? and token=$1',
    'Suspicious payment amount: 10000001',
    'Update failed - retry later',
    "Create order failed - customer's card was declined, try another",
    "Error: Delete account - user's subscription is still active",
    "Copy of invoice 17 - couldn't render the PDF",
    "Select a plan from the list - it's free",
    "select a plan: 'basic' or 'pro'",
    'session_count=5',
    'https://publickey@o0.ingest.sentry.io/0',
    'eyJ only one part',
    'plain text without secrets',
  ];
  for (const text of kept) it(`keeps: ${text}`, () => assert.equal(s.scrubString(text), text));

  it('is idempotent on already scrubbed text', () => {
    const once = s.scrubString('password=[Filtered] Bearer [Filtered] token: "[Filtered]"');
    assert.equal(s.scrubString(once), once);
  });

  it('scrubs texts of every length the same on every call (short, long and too long to be cached)', () => {
    const frame = (n: number) => `    at handler (/app/routes/r${n}.js:${n}:7)\n`;
    for (const length of [100, 300, 5000, 9000]) {
      let stack = `Error: charge failed for ${visa} with password=hunter2 and Bearer abc.def\n`;
      for (let n = 1; stack.length < length; n++) stack += frame(n);
      const expected = stack.replace(visa, F).replace('hunter2', F).replace('abc.def', F);
      for (let call = 0; call < 3; call++) assert.equal(createScrubber().scrubString(stack), expected, `${stack.length} chars, call ${call}`);
      for (let call = 0; call < 3; call++) assert.equal(s.scrubString(stack), expected, `${stack.length} chars, shared scrubber, call ${call}`);
    }
  });

  it('exports a Luhn check that agrees with the test helper', () => {
    assert.equal(luhnValid(withCheckDigit('123456789')), true);
    assert.equal(luhnValid('4111111111111112'), false);
  });
});

describe('scrub: URLs', () => {
  const cases: Array<[string, string]> = [
    ['/a?token=x&b=2', `/a?token=${F}&b=2`],
    ['https://u:p@h.com/p?api_key=1&q=ok#access_token=zz', `https://u:${F}@h.com/p?api_key=${F}&q=ok#access_token=${F}`],
    ['https://h/x?next=%2Fy%3Ftoken%3Dabc', `https://h/x?next=${F}`],
    ['https://h/?user%5Bpassword%5D=x', `https://h/?user%5Bpassword%5D=${F}`],
    ['https://h/?sentry_key=abc&sentry_version=7', `https://h/?sentry_key=${F}&sentry_version=7`],
    ['//u:pw@host/x', `//u:${F}@host/x`],
    ['postgres://u:pa?ss@host/db', `postgres://u:${F}@host/db`],
    ['https://host?email=a@b.com', 'https://host?email=a@b.com'],
    ['https://host?token=a@b.com', `https://host?token=${F}`],
    ['/pay/4111111111111111?x=1', `/pay/${F}?x=1`],
    ['/a?X-Amz-Signature=abc&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F2024', `/a?X-Amz-Signature=${F}&X-Amz-Credential=${F}`],
    ['/a;jsessionid=abc?x', `/a;jsessionid=${F}?x`],
    ['/a?token=&flag', '/a?token=&flag'],
    ['/users/42?page=2&sort=asc', '/users/42?page=2&sort=asc'],
    ['not a url %zz ?password', 'not a url %zz ?password'],
    ['https://h/?q=%E0%A4%A', 'https://h/?q=%E0%A4%A'],
    ['', ''],
  ];
  for (const [input, expected] of cases) it(input || '(empty)', () => assert.equal(s.scrubUrl(input), expected));
});

describe('scrub: SQL', () => {
  const cases: Array<[string, string]> = [
    ["SELECT * FROM users WHERE email = 'a@b.com' AND id = 42", 'SELECT * FROM users WHERE email = ? AND id = 42'],
    ["UPDATE u SET password = E'it\\'s' WHERE pin = 1234", 'UPDATE u SET password = ? WHERE pin = ?'],
    ['UPDATE cards SET cvv = 123 WHERE id = 7 AND c.otp <> 482915', 'UPDATE cards SET cvv = ? WHERE id = 7 AND c.otp <> ?'],
    ['SELECT 482915 AS pin, 5 AS n, 10 as "cvv" FROM t LIMIT 20', 'SELECT ? AS pin, 5 AS n, ? as "cvv" FROM t LIMIT 20'],
    ['SELECT * FROM t WHERE "pin"=-42 AND pin_count = 3 AND amount = 1.5', 'SELECT * FROM t WHERE "pin"=? AND pin_count = 3 AND amount = 1.5'],
    ["SELECT 'a''b', x'FF', N'z', 1.5e3", 'SELECT ?, ?, ?, 1.5e3'],
    ['SELECT $$secret$$, $tag$x $ y$tag$, $1, "Col" FROM t', 'SELECT ?, ?, $1, "Col" FROM t'],
    ['SELECT 1 -- password=abc\nFROM t', `SELECT 1 -- password=${F}\nFROM t`],
    ['SELECT 1 /* token: q */', `SELECT 1 /* token: ${F} */`],
    ['SELECT * FROM cards WHERE number = 4111111111111111', `SELECT * FROM cards WHERE number = ${F}`],
    ["INSERT INTO t VALUES ('unterminated, x", 'INSERT INTO t VALUES (?'],
    ["SELECT 'a', 'b", 'SELECT ?, ?'],
    ['SELECT "it\'s" FROM t WHERE a = $1', 'SELECT "it\'s" FROM t WHERE a = $1'],
    ['select a$b$ from t', 'select a$b$ from t'],
  ];
  for (const [input, expected] of cases) it(input, () => assert.equal(s.scrubSql(input), expected));
});

describe('scrub: headers', () => {
  it('filters sensitive names and scrubs the rest', () => {
    const input = {
      Authorization: 'Bearer x', cookie: 'a=b', 'set-cookie': ['a=1', 'b=2'], 'x-api-key': 'k', 'X-Auth-Token': 't',
      'x-csrf-token': 'c', 'proxy-authorization': 'Basic x', 'x-forwarded-for': '1.2.3.4', forwarded: 'for=1.2.3.4',
      'cf-connecting-ip': '1.2.3.4', 'user-agent': 'curl/8', referer: 'https://h/?token=1', 'content-length': 12,
      'x-debug': 'password=hunter2', 'x-list': ['ok', 'token: y'], 'x-none': undefined,
    };
    const before = structuredClone(input);
    assert.deepEqual(s.scrubHeaders(input), {
      Authorization: F, cookie: F, 'set-cookie': F, 'x-api-key': F, 'X-Auth-Token': F, 'x-csrf-token': F,
      'proxy-authorization': F, 'x-forwarded-for': F, forwarded: F, 'cf-connecting-ip': F, 'user-agent': 'curl/8',
      referer: `https://h/?token=${F}`, 'content-length': 12, 'x-debug': `password=${F}`, 'x-list': ['ok', `token: ${F}`],
      'x-none': undefined,
    });
    assert.deepEqual(input, before);
  });

  it('accepts Map and fetch Headers, and survives non-objects', () => {
    assert.deepEqual(s.scrubHeaders(new Map([['cookie', 'a']]) as unknown as Record<string, unknown>), { cookie: F });
    assert.deepEqual(s.scrubHeaders(new Headers({ 'x-api-key': 'k', accept: '*/*' }) as unknown as Record<string, unknown>), {
      'x-api-key': F,
      accept: '*/*',
    });
    assert.deepEqual(s.scrubHeaders(null as unknown as Record<string, unknown>), {});
  });
});

describe('scrub: scrubValue', () => {
  it('filters sensitive keys at any depth and scrubs strings, without mutating', () => {
    const input = {
      user: { id: 7, email: 'a@b.c', password: 'p', profile: { apiKey: 'k', note: 'card 4111 1111 1111 1111' } },
      list: [{ token: 't' }, 'Bearer abc', 42, null, undefined, true],
      session: { id: 's', data: {} },
      session_count: 3,
      password: null,
      has_password: true,
      settings: new Map<string, unknown>([['secret', 'x'], ['password', false]]),
    };
    const before = structuredClone(input);
    assert.deepEqual(s.scrubValue(input), {
      user: { id: 7, email: 'a@b.c', password: F, profile: { apiKey: F, note: `card ${F}` } },
      list: [{ token: F }, `Bearer ${F}`, 42, null, undefined, true],
      session: F,
      session_count: 3,
      password: null,
      has_password: true, // a boolean holds no secret
      settings: new Map<string, unknown>([['secret', F], ['password', false]]),
    });
    assert.deepEqual(input, before);
  });

  it('marks cycles and copies shared references', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const shared = { ok: 1 };
    const out = s.scrubValue({ a, x: shared, y: shared, arr: [a] }) as Record<string, any>;
    assert.equal(out.a.self, CIRCULAR);
    assert.equal(out.arr[0].self, CIRCULAR);
    assert.deepEqual(out.x, { ok: 1 });
    assert.notEqual(out.x, shared);
  });

  it('handles weird objects field by field', () => {
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    class User {
      constructor(public name: string, private pw: string) {}
      get leak(): string {
        return this.pw;
      }
    }
    class Money {
      constructor(private readonly cents: number) {}
      toJSON(): unknown {
        return { cents: this.cents, token: 'zzz' };
      }
    }
    const err = Object.assign(new Error('login failed password=hunter2'), { code: 'E1', authToken: 'zz' });
    const input = {
      getter: Object.defineProperty({ ok: 1 }, 'bad', { enumerable: true, get: () => { throw new Error('boom'); } }),
      trapGet: new Proxy({ a: 1 }, { get: () => { throw new Error('trap'); } }),
      trapKeys: new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }),
      revoked,
      frozen: Object.freeze({ password: 'p', inner: Object.freeze(['token=abc']) }),
      map: new Map<unknown, unknown>([['password', 'x'], ['ok', 'Bearer abc']]),
      set: new Set(['sk_live_abcdefghijklmnop']),
      date: new Date(0),
      buffer: Buffer.from('password=hunter2'),
      bigCard: 4111111111111111n,
      numCard: 4111111111111111,
      bigOk: 10n ** 30n,
      sym: Symbol.for('x'),
      [Symbol('hidden')]: 'secret',
      user: new User('bob', 'pw'),
      money: new Money(5),
      err,
      url: new URL('https://u:p@h/?token=1'),
      boxed: new String('password=x'),
      fn: function named(): void {},
      proto: JSON.parse('{"__proto__": {"password": "x"}}') as unknown,
      nullProto: Object.assign(Object.create(null) as object, { secret: 's', fine: 'f' }),
    };
    const out = s.scrubValue(input) as Record<string, any>;
    assert.deepEqual(out.getter, { ok: 1, bad: F });
    assert.deepEqual(out.trapGet, { a: F });
    assert.equal(out.trapKeys, F);
    assert.equal(out.revoked, F);
    assert.deepEqual(out.frozen, { password: F, inner: [`token=${F}`] });
    assert.deepEqual([...out.map], [['password', F], ['ok', `Bearer ${F}`]]);
    assert.deepEqual([...out.set], [F]);
    assert.ok(out.date instanceof Date && out.date !== input.date && out.date.getTime() === 0);
    assert.equal(out.buffer, '[Binary: 16 bytes]');
    assert.equal(out.bigCard, F);
    assert.equal(out.numCard, F);
    assert.equal(out.bigOk, 10n ** 30n);
    assert.equal(out.sym, input.sym);
    assert.deepEqual(Object.getOwnPropertySymbols(out), []);
    assert.deepEqual(out.user, { name: 'bob', pw: F });
    assert.deepEqual(out.money, { cents: 5, token: F });
    assert.equal(out.err.message, `login failed password=${F}`);
    assert.match(out.err.stack, /^Error: login failed password=\[Filtered\]\n/);
    assert.equal(out.err.code, 'E1');
    assert.equal(out.err.authToken, F);
    assert.equal(out.url, `https://u:${F}@h/?token=${F}`);
    assert.equal(out.boxed, `password=${F}`);
    assert.equal(out.fn, '[Function: named]');
    assert.equal(Object.getPrototypeOf(out.proto), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(out.proto, '__proto__')?.value, { password: F });
    assert.deepEqual({ ...out.nullProto }, { secret: F, fine: 'f' });
    assert.equal(s.scrubValue(revoked), F);
  });

  it('truncates below maxDepth', () => {
    const deep = { a: { b: { c: 1 } }, text: 'password=x' };
    assert.deepEqual(createScrubber({ maxDepth: 2 }).scrubValue(deep), { a: { b: TRUNCATED }, text: `password=${F}` });
    assert.equal(createScrubber({ maxDepth: 0 }).scrubValue(deep), TRUNCATED);
    assert.equal(createScrubber({ maxDepth: 0 }).scrubValue('token: x'), `token: ${F}`);
    const nested: Record<string, unknown> = {};
    let cur = nested;
    for (let i = 0; i < 10_000; i++) cur = (cur.next = {}) as Record<string, unknown>;
    assert.doesNotThrow(() => s.scrubValue(nested));
  });
});

describe('scrub: options', () => {
  it('rejects bad options with a TypeError that says how to fix them', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /options must be an object/],
      ['x', /options must be an object/],
      [{ allowkeys: [] }, /unknown option "allowkeys".*allowKeys/],
      [{ keys: 'password' }, /options.keys must be an array.*Example/],
      [{ keys: [42] }, /options.keys\[0\] must be a string or a RegExp/],
      [{ keys: ['--'] }, /options.keys\[0\] .* no letters or digits/],
      [{ patterns: ['x'] }, /options.patterns\[0\] must be a RegExp/],
      [{ patterns: [/x/] }, /must have the global flag.*\/x\/g/],
      [{ patterns: [/x*/g] }, /matches the empty string/],
      [{ allowKeys: [''] }, /options.allowKeys\[0\] must be a non-empty string/],
      [{ maxDepth: -1 }, /options.maxDepth must be a non-negative integer/],
      [{ maxDepth: 1.5 }, /options.maxDepth/],
      [{ maxDepth: '3' }, /options.maxDepth/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => createScrubber(options as never), (e: unknown) => e instanceof TypeError && message.test(e.message));
    }
  });

  it('adds custom keys (words and RegExps) and patterns', () => {
    const sticky = /^x-internal-/gi;
    const c = createScrubber({ keys: ['booking_ref', sticky], patterns: [/\bBK-\d{6}\b/g] });
    sticky.lastIndex = 5; // the compiled copy must not care
    assert.equal(c.isSensitiveKey('bookingRef'), true);
    assert.equal(c.isSensitiveKey('customer.booking-ref'), true);
    assert.equal(c.isSensitiveKey('booking'), false);
    assert.equal(c.isSensitiveKey('X-Internal-Trace'), true);
    assert.equal(c.isSensitiveKey('X-Internal-Trace'), true);
    assert.equal(c.scrubString('ref BK-123456 booking_ref=9'), `ref ${F} booking_ref=${F}`);
    assert.equal(c.scrubString('plain'), 'plain');
  });

  it('allowKeys wins over default and custom rules', () => {
    const c = createScrubber({ keys: ['booking_ref'], allowKeys: ['session', 'api_key', 'booking_ref'] });
    assert.equal(c.isSensitiveKey('session'), false);
    assert.equal(c.isSensitiveKey('apiKey'), false);
    assert.equal(c.isSensitiveKey('BOOKING-REF'), false);
    assert.equal(c.isSensitiveKey('password'), true);
    assert.deepEqual(c.scrubValue({ session: 'x', password: 'y' }), { session: 'x', password: F });
    const h = createScrubber({ allowKeys: ['Forwarded', 'x-api-key'] });
    assert.deepEqual(h.scrubHeaders({ forwarded: 'for=1.2.3.4', 'X-Api-Key': 'k', cookie: 'c' }), {
      forwarded: 'for=1.2.3.4',
      'X-Api-Key': 'k',
      cookie: F,
    });
  });

  it('defaultScrubber is created once', () => {
    assert.equal(defaultScrubber(), defaultScrubber());
    assert.ok(Object.isFrozen(defaultScrubber()));
  });
});

describe('scrub: hostile input stays linear (no timing asserted, it just has to finish)', function () {
  this.timeout(120_000);
  const M = 1 << 20;
  const hostile: Record<string, string> = {
    digitsSpaces: '1234 5'.repeat(M / 6),
    digits: '4'.repeat(M),
    digitDashes: '4111-'.repeat(M / 5),
    jwtStarts: 'eyJ'.repeat(M / 3),
    jwtDashes: 'eyJ-'.repeat(M / 4),
    jwtJoinedWords: ' a-b_eyJ'.repeat(M / 8),
    jwtJoinedRuns: ' a-b_c-eyJx.eyJ'.repeat(M / 15),
    jwtJoinedLongRuns: `${'a-'.repeat(M / 4)} ${'ab__'.repeat(M / 8)}`,
    jwtOneLongRun: `${'a-eyJ'.repeat(M / 5)}.eyJaa.b`,
    jwtRunsWithoutPayload: 'a-eyJxx.'.repeat(M / 8),
    jwtDottedChain: `a${'.eyJaa'.repeat(M / 6)}`,
    pemStarts: '-----BEGIN PRIVATE KEY-----'.repeat(M / 27),
    schemes: 'a://b:'.repeat(M / 6),
    schemeUsers: `a://${'b@'.repeat(M / 2)}`,
    quotes: 'a="'.repeat(M / 3),
    pairs: 'password="'.repeat(M / 10),
    pairsMixedScripts: `${'あa'.repeat(M / 2)}:x`,
    pairsLongNonAsciiKeys: `${'ключ'.repeat(M / 4)}=x`,
    bearer: 'Bearer '.repeat(M / 7),
    basic: 'Basic '.repeat(M / 6),
    glpat: 'glpat-'.repeat(M / 6),
    message: 'Payment failed: token=abc card 4111 1111 1111 1111 https://u:p@h/?k=v lorem ipsum '.repeat(M / 80),
    cardSeparators: '4111 - '.repeat(M / 7),
    digitDots: '1.'.repeat(M / 2),
    sendgridLike: 'SG.'.repeat(M / 3),
    sendgridLong: `SG.${'a'.repeat(M - 10)}`,
    slackHooks: 'hooks.slack.com/services/'.repeat(M / 25),
    sqlComparisons: 'pin = 1 AND '.repeat(M / 12),
    sqlNames: '1 AS pin, '.repeat(M / 10),
    encodedUrls: 'https://h/?a=%41 '.repeat(M / 17),
    xmlOpenings: '<password a="'.repeat(M / 13),
    xmlUnclosed: `<password>${'x'.repeat(M - 20)}`,
    xmlCloseOnly: '</a>'.repeat(M / 4),
    structures: 'token=['.repeat(M / 7),
    structureQuotes: `token=[${'"\\'.repeat(M / 3)}`,
    postgresKeys: 'Key (a)=('.repeat(M / 9),
    postgresInputs: 'invalid input syntax for type uuid: "'.repeat(M / 38),
    postgresRows: 'Failing row contains ('.repeat(M / 22),
    postgresRanges: 'value "'.repeat(M / 7),
    blockStrings: 'password: """'.repeat(M / 13),
    blockStringsEscaped: 'password: \\"\\"\\"'.repeat(M / 16),
    postgresNearBlankLines: 'at or near "\'\n\n'.repeat(M / 15),
    postgresNearEscaped: 'at or near \\"\''.repeat(M / 14),
    failedQueryNear: `select ${"' - at or near ".repeat(M / 15)}`,
    postgresNearLiterals: 'at or near "\''.repeat(M / 13),
    postgresNearLines: 'at or near "\'\n'.repeat(M / 14),
    postgresLiterals: 'malformed array literal: "'.repeat(M / 26),
    failedQueryQuotes: `select ${"'x".repeat(M / 2)} - boom`,
    failedQuerySeparators: `select ${' - '.repeat(M / 3)}`,
    failedQueryOperators: `select =${' '.repeat(M - 20)} - x`,
    failedQueryOperatorRuns: `update ${'= '.repeat(M / 2)} - x`,
  };
  for (const [name, text] of Object.entries(hostile)) {
    it(name, () => {
      assert.equal(typeof s.scrubString(text), 'string');
      assert.equal(typeof s.scrubUrl(text), 'string');
      assert.equal(typeof s.scrubSql(text), 'string');
    });
  }
  it('1 MB key', () => assert.equal(typeof s.isSensitiveKey('aB'.repeat(M / 2)), 'boolean'));
});

describe('scrub: properties', function () {
  this.timeout(120_000);
  const alnum = (min: number, max: number): fc.Arbitrary<string> =>
    fc.string({ unit: fc.constantFrom(...'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'), minLength: min, maxLength: max });
  const b64url = (min: number): fc.Arbitrary<string> =>
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'), minLength: min, maxLength: min + 30 });

  const card = fc
    .tuple(fc.constantFrom('4', '51', '37', '6011', '22'), fc.integer({ min: 13, max: 19 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }), fc.constantFrom('', ' ', '-'))
    .map(([prefix, len, digits, sep]) => {
      const number = withCheckDigit((prefix + digits.join('')).slice(0, len - 1));
      return len === 16 && sep !== '' ? number.replace(/(\d{4})(?=\d)/g, `$1${sep}`) : number;
    });
  /** [text to plant, the secret part that must not survive] */
  const inText: fc.Arbitrary<[string, string]> = fc.oneof(
    card.map((c): [string, string] => [c, c]),
    fc.tuple(b64url(10), b64url(20), b64url(20)).map(([h, p, sig]): [string, string] => {
      const jwt = `eyJ${h}.eyJ${p}.${sig}`;
      return [jwt, jwt];
    }),
    alnum(24, 40).map((k): [string, string] => [`sk_live_${k}`, `sk_live_${k}`]),
    alnum(36, 36).map((k): [string, string] => [`ghp_${k}`, `ghp_${k}`]),
    alnum(16, 40).map((k): [string, string] => [`Bearer ${k}`, k]),
    alnum(12, 30).map((k): [string, string] => [`postgres://app:${k}@db:5432/x`, k]),
    alnum(12, 30).map((k): [string, string] => [`password=${k}`, k]),
    alnum(12, 30).map((k): [string, string] => [`"api_key": "${k}"`, k]),
  );
  type Plant = { kind: 'text'; pre: string; post: string; text: string; secret: string } | { kind: 'key'; key: string; secret: string; nested: boolean };
  const plant: fc.Arbitrary<Plant> = fc.oneof(
    fc.tuple(fc.string(), fc.string(), inText).map(([pre, post, [text, secret]]): Plant => ({ kind: 'text', pre, post, text, secret })),
    fc.tuple(fc.constantFrom('password', 'api_key', 'secretKey', 'authToken', 'card_number', 'cvv', 'x-api-key', 'sessionId', 'Cookie'), alnum(12, 30), fc.boolean())
      .map(([key, secret, nested]): Plant => ({ kind: 'key', key, secret, nested })),
  );
  const base = fc.anything({
    maxDepth: 4, withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true,
    withNullPrototype: true, withObjectString: true, withTypedArray: true, withSparseArray: true,
  });

  /** Plants each secret into a plain object or array found by following `path` from the root. */
  function build(root: unknown, plants: Plant[], paths: number[][]): { value: unknown; secrets: string[] } {
    const holder: Record<string, unknown> = { root };
    plants.forEach((p, i) => {
      let container: Record<string, unknown> | unknown[] = holder;
      for (const step of paths[i]) {
        const children = Object.values(container).filter((c) => c !== null && typeof c === 'object' && (Array.isArray(c) || Object.getPrototypeOf(c) === Object.prototype));
        if (children.length === 0) break;
        container = children[step % children.length] as Record<string, unknown> | unknown[];
      }
      const leaf = p.kind === 'text' ? `${p.pre} ${p.text} ${p.post}` : p.nested ? { inner: [p.secret] } : p.secret;
      // The index keeps two plants in one object apart (`password_0`, `password_3`); it stays sensitive.
      const key = p.kind === 'key' ? `${p.key}_${i}` : `planted${i}`;
      if (Array.isArray(container)) container.push(p.kind === 'key' ? { [key]: leaf } : leaf);
      else container[key] = leaf;
    });
    return { value: holder, secrets: plants.map((p) => p.secret) };
  }
  const planted = fc
    .tuple(base, fc.array(plant, { minLength: 1, maxLength: 6 }), fc.array(fc.array(fc.nat(), { maxLength: 6 }), { minLength: 6, maxLength: 6 }))
    .map(([root, plants, paths]) => build(root, plants, paths));

  it('scrubValue never throws, leaks no planted secret, and never mutates its input', () => {
    fc.assert(
      fc.property(fc.clone(planted, 2), ([{ value, secrets }, snapshot]) => {
        const original = dump(value);
        for (const secret of secrets) assert.ok(original.includes(secret), 'the secret was planted');
        const out = s.scrubValue(value);
        const text = dump(out);
        for (const secret of secrets) assert.ok(!text.includes(secret), `leaked ${secret}`);
        // inspect() rather than deepStrictEqual: Node never considers two Invalid Dates equal.
        assert.equal(dump(value), dump(snapshot.value), 'input was mutated');
      }),
      { numRuns: 300 },
    );
  });

  it('the fast path never changes a result', () => {
    // A custom pattern that never matches disables the fast path without changing any rule.
    const slow = createScrubber({ patterns: [/\uffff\uffff\uffffNEVER/g] });
    const fragment = fc.oneof(
      fc.string(),
      fc.constantFrom('password', 'token', 'Bearer ', 'basic ', ':', '=', '"', '4111', ' 1111', '-', '_', 'eyJ', '.', '@', '://', 'sk_live_', 'AKIA', '\n', '-----BEGIN PRIVATE KEY-----'),
      card,
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        assert.equal(s.scrubString(text), slow.scrubString(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('every public function returns (never throws) on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.anything(), (text, thing) => {
        assert.equal(typeof s.scrubString(text), 'string');
        assert.equal(typeof s.scrubUrl(text), 'string');
        assert.equal(typeof s.scrubSql(text), 'string');
        assert.equal(typeof s.isSensitiveKey(text), 'boolean');
        s.scrubValue(thing);
        s.scrubHeaders({ [text]: thing } as Record<string, unknown>);
      }),
      { numRuns: 300 },
    );
  });
});
