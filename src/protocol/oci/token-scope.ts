/**
 * Token scopes of the Docker/OCI token flow (research/protocols.md c.4):
 * `resourcetype ":" resourcename ":" action ["," action]*`, several per `scope` value separated by
 * spaces. The name may itself hold a ":" (a `host:port/` prefix), so the type ends at the first ":" and
 * the actions start after the last one. Malformed scopes are skipped, as distribution's token server
 * does: the client then simply gets no access to them.
 */

export interface ResourceScope {
  /** `repository` or `registry` (a resource class such as `repository(plugin)` is kept as written). */
  type: string;
  name: string;
  /** Deduplicated, in the order first asked for; never empty. */
  actions: string[];
}

const RESOURCE_TYPE = /^[a-z0-9]+(?:\([a-z0-9]+\))?$/;

/**
 * Every scope of the given `scope` values (query parameters or the OAuth2 form field). Scopes naming
 * the same resource are merged into one, their actions joined.
 */
export function parseScopes(values: readonly string[]): ResourceScope[] {
  const merged = new Map<string, ResourceScope>();
  for (const value of values) {
    for (const text of value.split(' ')) {
      const scope = parseOne(text);
      if (scope === null) continue;
      const key = `${scope.type}\u0000${scope.name}`;
      const existing = merged.get(key);
      if (existing === undefined) merged.set(key, scope);
      else
        for (const action of scope.actions)
          if (!existing.actions.includes(action)) existing.actions.push(action);
    }
  }
  return [...merged.values()];
}

function parseOne(text: string): ResourceScope | null {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  const type = text.slice(0, first);
  const name = text.slice(first + 1, last);
  if (!RESOURCE_TYPE.test(type) || name === '') return null;
  const actions: string[] = [];
  for (const action of text.slice(last + 1).split(',')) {
    if (action !== '' && !actions.includes(action)) actions.push(action);
  }
  return actions.length === 0 ? null : { type, name, actions };
}

/** `type:name:a,b`, as in a `WWW-Authenticate` challenge or a token response. */
export function formatScope(s: ResourceScope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

/**
 * Whether `granted` (a token's access) allows `action` on the resource `type:name`. `*` allows every
 * action, as distribution's token servers grant it.
 */
export function scopeAllows(
  granted: readonly ResourceScope[],
  type: string,
  name: string,
  action: string,
): boolean {
  return granted.some(
    (s) => s.type === type && s.name === name && (s.actions.includes(action) || s.actions.includes('*')),
  );
}
