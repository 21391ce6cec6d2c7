import * as path from 'node:path';
import { dirname } from '@sentry/core';

/** Windows paths as POSIX ones, without the drive letter (what Sentry's grouping expects). */
function normalizeWindowsPath(file: string): string {
  return file.replace(/^[A-Z]:/, '').replace(/\\/g, '/');
}

/** A file name as written, when it is not valid percent-encoding (Sentry's would throw in the stack parser). */
function decodeFileName(file: string): string {
  try {
    return decodeURIComponent(file);
  } catch {
    return file;
  }
}

const SCRIPT_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/**
 * The `module` of a stack frame from its file, as @sentry/node names it (Sentry groups issues by it):
 * `pkg.sub:file` inside node_modules, `dir.sub:file` under the app's folder, else the file's name.
 */
export function moduleFromFilename(
  basePath: string = process.argv[1] ? dirname(process.argv[1]) : process.cwd(),
  isWindows: boolean = path.sep === '\\',
): (filename: string | undefined) => string | undefined {
  const base = isWindows ? normalizeWindowsPath(basePath) : basePath;
  return (filename) => {
    if (!filename) return undefined;
    const normalized = isWindows ? normalizeWindowsPath(filename) : filename;
    const parsed = path.posix.parse(normalized);
    let file = parsed.base;
    if (SCRIPT_EXTENSIONS.has(parsed.ext)) file = file.slice(0, -parsed.ext.length);
    const decoded = decodeFileName(file);
    const dir = parsed.dir || '.';
    const nodeModules = dir.lastIndexOf('/node_modules');
    if (nodeModules > -1) return `${dir.slice(nodeModules + 14).replace(/\//g, '.')}:${decoded}`;
    if (dir.startsWith(base)) {
      const moduleName = dir.slice(base.length + 1).replace(/\//g, '.');
      return moduleName ? `${moduleName}:${decoded}` : decoded;
    }
    return decoded;
  };
}
