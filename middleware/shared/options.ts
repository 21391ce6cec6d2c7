/**
 * Validates that `options` is an object (or undefined) before a factory reads it, with only the option
 * names it knows: a misspelt one would otherwise be ignored without a word.
 */
export function checkOptionsObject(factory: string, options: unknown, known: ReadonlyArray<string>): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${factory}(options): options must be an object or omitted, e.g. ${factory}({})`);
  }
  const unknown = Object.keys(options).find((name) => !known.includes(name));
  if (unknown !== undefined) {
    throw new TypeError(`${factory}({ ${unknown} }): unknown option; the options are ${known.join(', ')}`);
  }
}

export function checkBoolean(factory: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${factory}({ ${name} }): ${name} must be true or false, received ${typeof value}`);
  }
}

export function checkPositiveInteger(factory: string, name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): void {
  if (value !== undefined && (!Number.isInteger(value) || (value as number) <= 0 || (value as number) > max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${max}`;
    throw new TypeError(`${factory}({ ${name} }): ${name} must be ${range}, received ${String(value)}`);
  }
}

export function checkFunction(factory: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${factory}({ ${name} }): ${name} must be a function, received ${typeof value}`);
  }
}
