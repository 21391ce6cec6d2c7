import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackageInfo {
  name?: string;
  version?: string;
  /** `module` for an ES module package. */
  type?: string;
}

/** Name, version and type of the package.json nearest to `fromDir` (the app's, when run from its folder). */
export function readNearestPackage(fromDir: string = process.cwd()): PackageInfo {
  let dir = fromDir;
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        return {
          name: typeof parsed.name === 'string' ? parsed.name : undefined,
          version: typeof parsed.version === 'string' ? parsed.version : undefined,
          type: typeof parsed.type === 'string' ? parsed.type : undefined,
        };
      } catch {
        return {};
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return {};
    dir = parent;
  }
}
