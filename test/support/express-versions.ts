import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Express } from 'express';
import { FIXTURES } from './child-app';

type ExpressFactory = (() => Express) & { json: typeof import('express').json; text: typeof import('express').text; Router: typeof import('express').Router };

/** Express 5 (the root install) and Express 4 (the fixture workspace), both instrumented in this process. */
export const EXPRESS_VERSIONS: Array<{ name: string; express: ExpressFactory }> = [
  { name: 'Express 5', express: require('express') as ExpressFactory },
  { name: 'Express 4', express: createRequire(join(FIXTURES, 'express4', 'package.json'))('express') as ExpressFactory },
];
