import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface PackageInfo {
  name?: string;
  version?: string;
  /** `module` for an ES module package. */
  type?: string;
  /** A monorepo's root (it lists workspaces): a folder of apps, not an app. */
  workspaces?: boolean;
}

function readPackage(file: string): PackageInfo {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return {
      name: typeof parsed.name === 'string' ? parsed.name : undefined,
      version: typeof parsed.version === 'string' ? parsed.version : undefined,
      type: typeof parsed.type === 'string' ? parsed.type : undefined,
      workspaces: parsed.workspaces !== undefined,
    };
  } catch {
    return {};
  }
}

/**
 * Name, version and type of the package.json nearest to `fromDir` (the app's, when run from its folder);
 * with `named`, of the nearest one that has a name (a build folder's `{"type":"commonjs"}` is passed by).
 */
export function readNearestPackage(fromDir: string = process.cwd(), named = false): PackageInfo {
  let dir = fromDir;
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const info = readPackage(file);
      if (!named || info.name) return info;
    }
    const parent = dirname(dir);
    if (parent === dir) return {};
    dir = parent;
  }
}

/** pm2 runs an app from a container script of its own, and names the app's script in `pm_exec_path`. */
const PM2_CONTAINER = /[\\/]pm2[\\/]lib[\\/]ProcessContainer\w*\.js$/;

/**
 * The app's entry file: `argv[1]` (`node --import … app.mjs`). Under pm2, `argv[1]` is pm2's own
 * container, and the app's script is in `pm_exec_path` (which the app's own child processes inherit, so
 * it counts only inside the container).
 */
export function appEntryFile(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const script = argv[1];
  return script && PM2_CONTAINER.test(script) && env.pm_exec_path ? env.pm_exec_path : script;
}

const IN_NODE_MODULES = /[\\/]node_modules[\\/]/;

/**
 * The app's package: the package.json nearest to the working directory, as API.md has it, unless that is
 * a monorepo's root or names nothing (a service started from the repository's root, `node
 * apps/api/server.js`, or from `/` by systemd): then the named one nearest to the entry file. An entry
 * under node_modules is a tool's (mocha, a CLI), not the app's.
 */
export function readAppPackage(entry: string | undefined = appEntryFile(), cwd: string = process.cwd()): PackageInfo {
  const fromCwd = readNearestPackage(cwd);
  if (fromCwd.name && !fromCwd.workspaces) return fromCwd;
  if (entry && !IN_NODE_MODULES.test(entry)) {
    const fromEntry = readNearestPackage(dirname(resolve(cwd, entry)), true);
    if (fromEntry.name) return fromEntry;
  }
  return fromCwd;
}
