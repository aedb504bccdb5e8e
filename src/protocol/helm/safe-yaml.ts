import { CORE_SCHEMA, FAILSAFE_SCHEMA, Type, YAMLException, load } from 'js-yaml';
import type { LoadOptions, Schema, State } from 'js-yaml';

/*
 * Scalars stay strings (`version: 1.10` is "1.10", `created: 2024-01-01` is not a Date, `0123` is not
 * a number): Helm decodes them into string fields. Only null (Helm skips null entries) and booleans
 * (`deprecated: true`) are typed.
 */
const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string) => /^(?:~|null|Null|NULL)?$/.test(data),
  construct: () => null,
});
const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string) => /^(?:true|True|TRUE|false|False|FALSE)$/.test(data),
  construct: (data: string) => data.toLowerCase() === 'true',
});
export const INDEX_SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType] });

/*
 * Chart values are typed as Helm types them: sigs.k8s.io/yaml reads them with go-yaml v2, which is
 * YAML 1.2's core schema plus two YAML 1.1 habits that change what a chart receives: `yes`/`no`/`on`/
 * `off`/`y`/`n` are booleans, and a leading zero is octal (`defaultMode: 0644` is 420, not 644).
 * js-yaml keeps only the last type per tag, so each is one type wrapping the core one.
 */
const coreImplicit = (CORE_SCHEMA as Schema & { implicit: (Type & { tag: string })[] }).implicit;
const coreType = (tag: string): Type => coreImplicit.find((type) => type.tag === tag)!;
const coreInt = coreType('tag:yaml.org,2002:int');
const goOctal = /^[-+]?0[0-7_]*[0-7]$/;
const valuesIntType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string) => goOctal.test(data) || coreInt.resolve(data),
  construct: (data: string) => {
    if (!goOctal.test(data)) return coreInt.construct(data) as unknown;
    const value = parseInt(data.replace(/_/g, ''), 8);
    return Object.is(value, -0) ? 0 : value;
  },
});
const valuesBoolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string) =>
    /^(?:true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/.test(data),
  construct: (data: string) => /^(?:true|y|yes|on)$/i.test(data),
});
export const VALUES_SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [
    coreType('tag:yaml.org,2002:null'),
    valuesBoolType,
    valuesIntType,
    coreType('tag:yaml.org,2002:float'),
  ],
});

/** Why a document was refused; each caller words it for its own reader. */
export type SafeYamlFailure =
  { kind: 'anchors' } | { kind: 'depth' } | { kind: 'syntax'; reason: string; line: number };

export class SafeYamlError extends Error {
  constructor(readonly failure: SafeYamlFailure) {
    super(failure.kind);
  }
}

class AnchorFound extends Error {}

/**
 * js-yaml with Helm's scalars ({@link INDEX_SCHEMA}), refusing YAML anchors and aliases (Helm never
 * writes them, and they can expand into huge documents) and nesting past `maxDepth` (js-yaml counts a
 * scalar as a level). Throws {@link SafeYamlError}, whose failure never quotes the document.
 */
export function loadHelmYaml(text: string, maxDepth: number): unknown {
  return loadGuarded(text, maxDepth, INDEX_SCHEMA);
}

/**
 * Chart values typed as Helm types them ({@link VALUES_SCHEMA}: `3` is a number, `true` and `yes`
 * booleans, `~` null, `1.10` the number 1.1, `0644` is 420), under the same anchor and depth guard as
 * {@link loadHelmYaml}. No timestamps or binary: the core schema has neither, and neither has JSON.
 */
export function loadValuesYaml(text: string, maxDepth: number): unknown {
  return loadGuarded(text, maxDepth, VALUES_SCHEMA);
}

function loadGuarded(text: string, maxDepth: number, schema: Schema): unknown {
  // js-yaml offers no option to refuse anchors; this parse-event hook sees every anchored node as it
  // closes, so an alias bomb is refused before any alias is even read.
  const listener = (event: string, state: State): void => {
    if (event === 'close' && (state as State & { anchor: string | null }).anchor !== null)
      throw new AnchorFound();
  };
  const options: LoadOptions & { maxDepth: number } = {
    schema,
    json: false,
    // An anchor is always written "&name", and an alias needs an anchor: without any "&" in the text
    // (most real indexes) there is nothing to refuse, and skipping the hook's 2 calls per node saves
    // about 5% of a big parse.
    listener: text.includes('&') ? listener : undefined,
    maxDepth,
  };
  try {
    return load(text, options);
  } catch (error) {
    if (error instanceof AnchorFound) throw new SafeYamlError({ kind: 'anchors' });
    if (error instanceof YAMLException) {
      if (error.reason.includes('maxDepth')) throw new SafeYamlError({ kind: 'depth' });
      // The reason and line only: the snippet would echo the document into messages.
      throw new SafeYamlError({ kind: 'syntax', reason: error.reason, line: error.mark.line + 1 });
    }
    throw error;
  }
}
