import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { defineIntegration, GLOBAL_OBJ, type Event } from '@sentry/core';

/**
 * Port of @sentry/node 11.12.0's Modules integration (`integrations/modules.js`): the packages and
 * versions the app runs with, on every event (`event.modules`), collected once per process.
 */

type ModuleInfo = Record<string, string>;

/** Set at build time by Sentry's bundler plugins (Next.js and others); a global otherwise. */
declare const __SENTRY_SERVER_MODULES__: ModuleInfo | undefined;

function serverModules(): ModuleInfo {
  if (typeof __SENTRY_SERVER_MODULES__ !== 'undefined') return __SENTRY_SERVER_MODULES__;
  return (GLOBAL_OBJ as { __SENTRY_SERVER_MODULES__?: ModuleInfo }).__SENTRY_SERVER_MODULES__ ?? {};
}

/** `dependencies` and `devDependencies` of the package.json in the working directory, as declared (ranges). */
function packageJsonModules(): ModuleInfo {
  try {
    const packageJson = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as Partial<Record<'dependencies' | 'devDependencies', ModuleInfo>>;
    return { ...packageJson.dependencies, ...packageJson.devDependencies };
  } catch {
    return {};
  }
}

/**
 * Whether `dir` holds packages the main module can require: one of its lookup paths (a scope folder
 * such as `@sentry` counts as its parent), or a pnpm/bun store's `node_modules` under one of them.
 */
export function isMainModulesDir(dir: string, mainPaths: string[]): boolean {
  if (basename(dir).startsWith('@')) return isMainModulesDir(dirname(dir), mainPaths);
  if (mainPaths.includes(dir)) return true;
  const storeDir = dirname(dirname(dir));
  return basename(dir) === 'node_modules' && ['.pnpm', '.bun'].includes(basename(storeDir)) && mainPaths.includes(dirname(storeDir));
}

/** Whether requiring `name` from the main module lands in `packageDir` (the copy the app itself uses). */
function isResolvedFromMain(name: string, packageDir: string, mainPaths: string[]): boolean {
  const resolvedDir = mainPaths.map((dir) => join(dir, name)).find((dir) => existsSync(dir));
  return !!resolvedDir && realpathSync(resolvedDir) === realpathSync(packageDir);
}

function requireCachePaths(): string[] {
  try {
    return require.cache ? Object.keys(require.cache) : [];
  } catch {
    return [];
  }
}

/**
 * Installed versions of the packages loaded so far (CommonJS only), from the package.json of each
 * loaded file's top-level package; of two copies of a package, the one the app resolves wins.
 */
function requireCacheModules(): ModuleInfo {
  const mainPaths = require.main?.paths || [];
  const versions: ModuleInfo = {};
  const packageDirs: Record<string, string> = {};
  const seen = new Set<string>();
  const record = (packageDir: string): void => {
    try {
      const info = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { name: string; version: string };
      const previousDir = packageDirs[info.name];
      if (!previousDir || !isResolvedFromMain(info.name, previousDir, mainPaths)) {
        versions[info.name] = info.version;
        packageDirs[info.name] = packageDir;
      }
    } catch {
      // An unreadable package.json leaves that package out.
    }
  };
  for (const path of requireCachePaths()) {
    // Up from the file to the first folder directly in a main `node_modules` that has a package.json.
    let current = path;
    let parent = dirname(current);
    while (parent && parent !== current && !seen.has(current)) {
      if (isMainModulesDir(parent, mainPaths)) {
        seen.add(current);
        if (existsSync(join(current, 'package.json'))) {
          record(current);
          break;
        }
      }
      current = parent;
      parent = dirname(current);
    }
  }
  return versions;
}

/** Every source, later ones winning: build-time list, package.json ranges, installed versions of loaded packages. */
export function collectModules(): ModuleInfo {
  return { ...serverModules(), ...packageJsonModules(), ...requireCacheModules() };
}

let moduleCache: ModuleInfo | undefined;

/** The modules, collected at the first event: packages loaded later are not listed, as with Sentry's. */
function getModules(): ModuleInfo {
  return (moduleCache ??= collectModules());
}

const modules = () => ({
  name: 'Modules' as const,
  processEvent(event: Event): Event {
    try {
      event.modules = { ...event.modules, ...getModules() };
    } catch {
      // An event without its module list is still worth sending.
    }
    return event;
  },
  getModules,
});

/**
 * Add the app's packages and their versions to every event, as `@sentry/node`'s `modulesIntegration`:
 * from a build-time list (`__SENTRY_SERVER_MODULES__`), the working directory's package.json and the
 * packages loaded through `require`. Typed as Sentry's (with `getModules`), which `defineIntegration`'s
 * return type would hide.
 */
export const modulesIntegration = defineIntegration(modules) as typeof modules;
