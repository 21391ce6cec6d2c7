/** Validates that `options` is an object (or undefined) before a factory reads it. */
export function checkOptionsObject(factory: string, options: unknown): void {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new TypeError(`${factory}(options): options must be an object or omitted, e.g. ${factory}({})`);
  }
}

export function checkPositiveInteger(factory: string, name: string, value: unknown): void {
  if (value !== undefined && (!Number.isInteger(value) || (value as number) <= 0)) {
    throw new TypeError(`${factory}({ ${name} }): ${name} must be a positive integer, received ${String(value)}`);
  }
}

export function checkFunction(factory: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${factory}({ ${name} }): ${name} must be a function, received ${typeof value}`);
  }
}
