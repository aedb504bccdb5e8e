/**
 * The values Helm renders a chart with, and validates against its values.schema.json: the user's values
 * over the chart's defaults (Helm's `chartutil.CoalesceValues`): mappings merge key by key, any other
 * user value replaces the default, and a user `null` deletes the default's key. Neither input is changed.
 */
export function coalesceValues(
  defaults: Record<string, unknown>,
  user: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(defaults)) {
    if (!Object.hasOwn(user, key)) define(out, key, value);
  }
  for (const [key, value] of Object.entries(user)) {
    if (value === null) continue;
    const base = Object.hasOwn(defaults, key) ? defaults[key] : undefined;
    define(out, key, isMapping(value) && isMapping(base) ? coalesceValues(base, value) : value);
  }
  return out;
}

/** A plain assignment of `__proto__` (a YAML key like any other) would set the prototype instead. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
