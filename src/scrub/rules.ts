/*
 * Default rules, as data. Key rules work on the WORDS of a key (see keys.ts): `apiKey`, `api_key`,
 * `API-KEY` and `api.key` all become ["api", "key"]. Matching words instead of substrings is what lets
 * `password` match while `passenger`, `keyboard`, `monkey` and `author` do not.
 *
 * Sources merged here: sentry-python DEFAULT_DENYLIST + DEFAULT_PII_DENYLIST, Relay's password rule,
 * Rollbar scrubFields/scrubHeaders, Elastic APM sanitizeFieldNames (its `*x*` wildcards are read at word
 * level), plus card data, PIN/OTP, SSN, IBAN.
 */

/**
 * Sensitive if any single word, or any run of up to MAX_JOIN consecutive words glued together,
 * equals one of these (lowercase, no separators: `x_forwarded_for` -> "xforwardedfor").
 */
export const SENSITIVE_WORDS: readonly string[] = [
  // passwords
  'password', 'passwords', 'passwd', 'passwort', 'pwd', 'pw', 'pass', 'passphrase', 'passcode', 'пароль',
  'mysqlpwd', 'contraseña', 'contrasena', 'motdepasse', 'senha', 'wachtwoord', 'hasło', 'haslo', 'şifre',
  // answers that reset an account
  'securityanswer', 'securityanswers', 'secretanswer', 'securityquestionanswer',
  // secrets, tokens, credentials
  'secret', 'secrets', 'token', 'tokens', 'jwt', 'bearer', 'credential', 'credentials', 'creds',
  'auth', 'authz', 'authn', 'signature', 'sig',
  // keys: any `key` word (api_key, secretKey, private-key, key_id). Elastic's `*key` is a suffix
  // wildcard; at word level only a known qualifier (`cacheKey`, `sortKey`: DESCRIBED_WORDS) tells a key
  // that is no secret, so any other is filtered.
  'key', 'keys', 'apikey', 'privatekey',
  // sessions and CSRF (`session` alone has its own rule below)
  'cookie', 'cookies', 'setcookie', 'sid', 'sessid', 'sessionid', 'connectsid', 'phpsessid', 'symfony',
  'csrf', 'xsrf', 'csrftoken', 'xsrftoken',
  // client IPs (sentry-python PII list)
  'xforwardedfor', 'forwardedfor', 'xrealip', 'realip', 'ipaddress', 'remoteaddr', 'clientip',
  // payment card data (Elastic `*card*`, `*credit*`)
  'card', 'cards', 'cardholder', 'cardnumber', 'cardno', 'cardnum', 'creditcard', 'debitcard', 'credit',
  'ccnumber', 'ccnum', 'pan', 'cvv', 'cvc', 'ccv', 'cvn', 'csc', 'expiry', 'expdate', 'expirydate',
  'expirationdate', 'expmonth', 'expyear',
  // other regulated identifiers and one-time codes
  'pin', 'pincode', 'otp', 'totp', 'ssn', 'socialsecuritynumber', 'iban', 'accountnumber',
  // second factors, recovery and one-time codes, signed assertions (`code` alone is too common a word:
  // error codes, country codes; an OAuth callback's `?code=` is left to the app's own rules)
  'hmac', 'mfacode', 'twofactorcode', 'tfacode', 'verificationcode', 'recoverycode', 'recoverycodes',
  'backupcode', 'backupcodes', 'authcode', 'authorizationcode', 'samlresponse',
];

/** Longest run of words glued together when looking words up in SENSITIVE_WORDS. */
export const MAX_JOIN = 4;

/**
 * A single word that STARTS with one of these is sensitive (`passwordConfirmation` is one word when
 * written `passwordconfirmation`). `auth` itself is not a prefix: `author`/`authority` stay readable.
 */
export const SENSITIVE_PREFIXES: readonly string[] = [
  'passw', 'passphrase', 'secret', 'credential', 'apikey', 'privatekey', 'csrf', 'xsrf', 'bearer',
  'authoriz', 'authent',
];

/** Words that start with a sensitive prefix but are ordinary words. */
export const PREFIX_EXCEPTIONS: readonly string[] = ['secretar'];

/**
 * A single word that ENDS with one of these is sensitive: catches keys glued without separators,
 * e.g. `accesstoken`, `clientsecret`, `userpassword`, `oauth`. `key` is deliberately absent
 * (monkey, donkey, hockey); only known `...key` compounds are listed.
 */
export const SENSITIVE_SUFFIXES: readonly string[] = [
  'password', 'passwd', 'pwd', 'secret', 'secrets', 'token', 'tokens', 'credential', 'credentials',
  'cookie', 'cookies', 'sessid', 'sessionid', 'auth', 'csrf', 'xsrf',
  'apikey', 'privatekey', 'secretkey', 'accesskey', 'signingkey', 'encryptionkey', 'masterkey',
  'sentrykey', 'licensekey', 'authkey', 'clientkey', 'hmackey', 'sshkey', 'sessionkey', 'deploykey',
];

/**
 * `session` is sensitive when it names the session itself (`session`, `user_session`, `session_id`),
 * not when it qualifies harmless metadata (`session_count`, `sessionTimeout`). So it counts only
 * as the last word, or when followed by one of these.
 */
export const SESSION_FOLLOWERS: readonly string[] = [
  'id', 'ids', 'key', 'token', 'secret', 'cookie', 'data', 'value', 'val', 'str', 'string', 'hash', 'sig',
];

/** A key whose LAST word is one of these counts something (`pass_count`, `session_counts`), never a secret. */
export const DESCRIBING_LAST_WORDS: readonly string[] = ['count', 'counts'];

/**
 * Names that are no keys: an error's class name (`TokenExpiredError: jwt expired`, `StripeCardError`)
 * and a source file in a stack (`auth.js:12:5`). Matched on the whole key, so `password_error` or
 * `jwt_err` (which may hold the value) stay sensitive.
 */
export const NOT_KEY_SOURCES: readonly string[] = ['^[A-Z][A-Za-z0-9]*(?:Error|Exception)$', '\\.[cm]?[jt]sx?$'];

/**
 * A sensitive word NEXT to one of these describes a value rather than holding one: `cacheKey`, `sortKey`,
 * `publicKey`; token counts (`gen_ai.usage.input_tokens`, `max_tokens`); `auth_method`, `authProvider`;
 * `card_brand`, `card_last4`; `credit_balance`. `before`: the word before it; `after`: the word after it.
 * Not `primaryKey` (Azure's account keys), `routing_key` (PagerDuty's integration key) or `cached_tokens`.
 */
export const DESCRIBED_WORDS: Readonly<Record<string, { before?: readonly string[]; after?: readonly string[] }>> = {
  key: { before: ['cache', 'sort', 'public', 'partition', 'foreign', 'object', 'row', 'translation'] },
  keys: { before: ['cache', 'sort', 'public', 'partition', 'foreign', 'object', 'translation'] },
  tokens: { before: ['input', 'output', 'total', 'prompt', 'completion', 'max', 'reasoning'] },
  auth: { after: ['method', 'methods', 'provider', 'providers', 'type', 'strategy', 'mode', 'scheme'] },
  card: { after: ['brand', 'last', 'type', 'country', 'funding', 'network', 'wallet'] },
  credit: { after: ['balance', 'limit', 'score', 'amount'] },
};

/**
 * OpenTelemetry semantic-convention attributes whose names hold a sensitive word but whose values are
 * ids of messages and objects (matched exactly: an app's own `s3_key` may be an access key).
 */
export const STANDARD_ATTRIBUTES_NOT_SECRET: readonly string[] = ['messaging.kafka.message.key', 'messaging.rabbitmq.destination.routing_key', 'aws.s3.key'];

/** Header names that carry client identity but whose words are too generic to be keys. */
export const SENSITIVE_HEADERS: readonly string[] = [
  'forwarded', 'cf-connecting-ip', 'true-client-ip', 'x-client-ip', 'x-cluster-client-ip',
  'fastly-client-ip', 'x-original-forwarded-for',
];

/** Headers whose value is a URL: scrubbed with the URL rules so query secrets are caught. */
export const URL_HEADERS: readonly string[] = ['referer', 'referrer', 'location', 'content-location', 'origin'];

/*
 * Value patterns. Every regex below must stay linear on hostile input: each alternative starts
 * with a literal and a lookbehind that excludes every character of its own repeated class, so a
 * run of token characters is entered at most once; no nested or adjacent overlapping quantifiers.
 */

/** Well-known credential shapes. Stripe `pk_` keys are publishable (made for browsers): kept. */
export const TOKEN_SOURCES: readonly string[] = [
  '(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}',
  '(?<![A-Za-z0-9_])whsec_[A-Za-z0-9]{16,}',
  '(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{20,}',
  '(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{20,}',
  '(?<![A-Za-z0-9_])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])',
  '(?<![A-Za-z0-9_-])xox[abposre]-[A-Za-z0-9-]{8,}',
  '(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}',
  '(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}',
  '(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}',
  '(?<![A-Za-z0-9_-])sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}',
  '(?<![A-Za-z0-9_-])SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}',
  '(?<![A-Za-z0-9_-])ya29\\.[A-Za-z0-9_-]{20,}',
  // Webhook URLs whose path is the credential: what follows the fixed prefix.
  '(?<=hooks\\.slack\\.com\\/(?:services|workflows|triggers)\\/)[A-Za-z0-9_\\/-]{8,}',
  '(?<=discord(?:app)?\\.com\\/api\\/webhooks\\/)[0-9]{5,}\\/[A-Za-z0-9_-]{20,}',
];

/**
 * JWT: base64url('{"') is "eyJ" for both header and payload. The whole base64url run before the payload's
 * dot is read, so each run is one start (linear), and it is filtered when its last word is the header:
 * alone, or joined to words by '-' or '_' (`Bearer-eyJ…`, `req-<uuid>-eyJ…`, `a-----eyJ…`), which go with it.
 */
export const JWT_RUN_SOURCE = '(?<![A-Za-z0-9_-])([A-Za-z0-9_-]*)\\.eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*';
/** The run before a JWT's payload ends with its header (tested on the run alone: it succeeds at its first candidate). */
export const JWT_HEADER_END = /(?:^|[-_])eyJ[A-Za-z0-9_-]{2,}$/;

/**
 * scheme://user:password@ -> keeps scheme and user. The user may be an e-mail address (nodemailer's
 * `smtps://ann@example.com:pass@smtp.example.com`); the password runs to the last '@' before '/' or space.
 */
export const USERINFO_SOURCE = '(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}:\\/\\/[^\\s:\\/?#]*):([^\\s\\/]*)@';

/** `Bearer <token>` / `Basic <b64>`: keeps the scheme word, the credential is judged in code. */
export const AUTH_SCHEME_SOURCE = '(?<![A-Za-z0-9_])(bearer|basic)([ \\t]{1,16})([A-Za-z0-9._~+\\/-]+=*)';

/**
 * `key=`, `key:`, `"key": `, `key := `, `user[password]=` in free text; the key is judged in code. Keys
 * may be written in any script (`contraseña=`, `пароль:`): compiled with the `u` flag. A key starts where
 * a word does; an ASCII key also right after other scripts' letters or digits, as before they could be
 * part of a key (`password=` after a long CJK text with no space, `٣password=`). Either way each start
 * reads a key of one kind of letters only once: linear on hostile text.
 */
export const PAIR_KEY_SOURCE =
  '(?<![A-Za-z0-9_.\\-])((?<![\\p{L}\\p{M}\\p{N}])[\\p{L}_][\\p{L}\\p{M}\\p{N}_.\\-]{0,127}|[A-Za-z_][A-Za-z0-9_.\\-]{0,127})(\\\\?["\']\\]?|\\])?[ \\t]{0,4}(?::=|==?|:)[ \\t]{0,4}';

/** Start of a PEM private key block; the end is found in code so an unterminated block costs O(n). */
export const PEM_BEGIN_SOURCE = '-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----';

/**
 * Fast path: a string matching none of these cannot be changed by any built-in rule. Each rule needs
 * at least one: PEM/xox/glpat/sk- need '-'; sk_/gh*_/npm_ need '_'; URLs and pairs need ':' or '=';
 * cards need 4 consecutive digits; the rest are listed literally.
 */
export const TRIGGER_SOURCE = '[:=@_-]|\\d{4}|eyJ|AKIA|ASIA|AIza|SG\\.|ya29\\.|bearer|basic|</|invalid input|failing row|out of range|invalid value|at or near';

/** An XML element's text (`<password>…</password>`); the tag is matched as a key, namespace prefix aside. */
export const XML_ELEMENT_SOURCE = '<([A-Za-z_][A-Za-z0-9_.:-]{0,127})((?:\\s[^<>]{0,2048})?)>([^<]{1,65536})</\\1\\s*>';

/**
 * Values PostgreSQL quotes in its error messages (they reach events and the query span's status): a
 * token looked up in a uuid column. Three groups: what stays before, the value, what stays after. A key's
 * values (`Key (col)=(…) already exists`) and a refused row (`Failing row contains (…)`) are cut out in
 * code (text.ts), one pass per line: as regexes they backtrack over every candidate on a long line.
 */
export const DATABASE_VALUE_SOURCES: readonly string[] = [
  // invalid input syntax for type uuid: "…" / for integer: "…" / invalid input value for enum mood: "…"
  '(invalid input (?:syntax|value) for [^:\\n]{1,128}: ")([^"\\n]{1,1024})(")',
  // date/time field value out of range: "…"
  '(field value out of range: ")([^"\\n]{1,1024})(")',
  // malformed array literal: "…" (record, range, multirange)
  '(malformed [a-z]{1,16} literal: ")([^"\\n]{1,1024})(")',
  // value "…" is out of range for type integer
  '(value ")([^"\\n]{1,1024})(" is out of range for type)',
  // invalid value "…" for "YYYY" (to_date and to_timestamp)
  '(invalid value ")([^"\\n]{1,1024})(" for)',
];
export const DATABASE_KEY_MARKER = 'Key (';
export const DATABASE_KEY_SUFFIXES: readonly string[] = [') already exists', ') is not present in table', ') is still referenced from table'];
export const DATABASE_ROW_MARKER = 'Failing row contains (';
/**
 * PostgreSQL's parser names the token it stopped at (`syntax error at or near "…"`, `unterminated quoted
 * string at or near "…"`); when that token is a string literal, it is a value the app inlined.
 */
export const DATABASE_NEAR_MARKER = 'at or near ';
/** A string literal's start: `'…`, `E'…`, `U&'…`, `$$…`, `$tag$…`. */
export const SQL_LITERAL_START = /^(?:[EeNnXxBb]?'|[Uu]&'|\$(?:[A-Za-z_][A-Za-z_0-9]{0,62})?\$)/;

/** Pair values that are placeholders, not data (SQL binds, printf formats). */
export const PLACEHOLDER_SOURCE = '^(?:\\?|\\$\\d+|%[sdifjoO])$';
