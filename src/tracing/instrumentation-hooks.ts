import { sep } from 'node:path';
import type { Instrumentation } from '@opentelemetry/instrumentation';

export interface ModuleDefinition {
  name: string;
  files?: Array<{ name: string }>;
}

/** What OpenTelemetry's Node instrumentations have beyond the public interface: their require hook's work. */
export interface RequireHookable {
  getModuleDefinitions(): ModuleDefinition[];
  _onRequire(definition: ModuleDefinition, exports: unknown, name: string, baseDir: string): unknown;
}

/** The instrumentation's require-hook work, for packages its hook never sees load; undefined if it has none. */
export function requireHookable(instrumentation: Instrumentation): RequireHookable | undefined {
  const hookable = instrumentation as unknown as Partial<RequireHookable>;
  return typeof hookable.getModuleDefinitions === 'function' && typeof hookable._onRequire === 'function' ? (hookable as RequireHookable) : undefined;
}

/** The folder of package `name` that `file` (a file of it, resolved) lies in. */
export function packageDir(file: string, name: string): string | undefined {
  const marker = `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`;
  const at = file.lastIndexOf(marker);
  return at === -1 ? undefined : file.slice(0, at + marker.length - 1);
}
