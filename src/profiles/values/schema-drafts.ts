import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type { AnySchemaObject, Options, ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';

/*
 * Helm reads values.schema.json in drafts 4, 6, 7, 2019-09 and 2020-12, chosen by `$schema`. Ajv has a
 * class per vocabulary: Ajv for 6 and 7, Ajv2019, Ajv2020, and ajv-draft-04 for 4 (boolean
 * `exclusiveMaximum`, `id`). Draft 6 is Ajv's draft-07 class with draft 6's meta-schema and without
 * `if`/`then`/`else`, which draft 6 does not have (a draft-06 schema's `if` is an unknown keyword there,
 * as for Helm). A schema without `$schema`, or with the undated "http://json-schema.org/schema#" that
 * schema generators write, is read as draft-07: the draft most chart schemas are written for.
 */
export type Draft = '04' | '06' | '07' | '2019-09' | '2020-12';

const DRAFT_BY_URI: Record<string, Draft> = {
  'json-schema.org/draft-04/schema': '04',
  'json-schema.org/draft-06/schema': '06',
  'json-schema.org/draft-07/schema': '07',
  'json-schema.org/draft/2019-09/schema': '2019-09',
  'json-schema.org/draft/2020-12/schema': '2020-12',
  'json-schema.org/schema': '07',
};

/** The draft a `$schema` names, or undefined when it names none Helm reads (the caller warns). */
export function draftOf(schemaUri: unknown): Draft | undefined {
  if (schemaUri === undefined) return '07';
  if (typeof schemaUri !== 'string') return undefined;
  const key = schemaUri.replace(/^https?:\/\//, '').replace(/#$/, '');
  return DRAFT_BY_URI[key];
}

const META_IDS: Record<Draft, string> = {
  '04': 'http://json-schema.org/draft-04/schema',
  '06': 'http://json-schema.org/draft-06/schema',
  '07': 'http://json-schema.org/draft-07/schema',
  '2019-09': 'https://json-schema.org/draft/2019-09/schema',
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
};

type AjvInstance = InstanceType<typeof Ajv>;
// ajv-draft-04 and ajv-formats are CommonJS whose module object is also their `default`.
const Ajv04 = ajvDraft04.default;
const addFormats = ajvFormats.default;

function newAjv(draft: Draft, options: Options): AjvInstance {
  // Shared by every instance: schemas are untrusted and compiled in a fresh instance each (below).
  const base: Options = { strict: false, allErrors: true, logger: false, ...options };
  let ajv: AjvInstance;
  if (draft === '04') ajv = new Ajv04(base) as unknown as AjvInstance;
  else if (draft === '2019-09') ajv = new Ajv2019(base);
  else if (draft === '2020-12') ajv = new Ajv2020(base);
  else ajv = new Ajv(base);
  if (draft === '06') {
    ajv.addMetaSchema(draft06MetaSchema());
    ajv.removeKeyword('if');
  }
  addFormats(ajv);
  return ajv;
}

let draft06: AnySchemaObject | undefined;
function draft06MetaSchema(): AnySchemaObject {
  draft06 ??= createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-06.json') as AnySchemaObject;
  return draft06;
}

const metaValidators = new Map<Draft, ValidateFunction>();

/**
 * The draft's meta-schema as a validator, compiled once per process (about 100 ms for the large ones),
 * in an instance that never compiles a chart's schema.
 */
export function metaValidator(draft: Draft): ValidateFunction {
  let validate = metaValidators.get(draft);
  if (!validate) {
    validate = newAjv(draft, {}).getSchema(META_IDS[draft])!;
    metaValidators.set(draft, validate);
  }
  return validate;
}

/**
 * A fresh Ajv for one chart schema: one chart's `$id`s never collide with, or resolve to, another's,
 * and nothing a schema registers outlives it. Creating one costs well under a millisecond.
 * `inlineRefs: false` and no code optimisation keep compiling a schema with many `$ref`s (alertmanager's)
 * around 10 ms instead of 100+, for a validator that is still far faster than needed.
 */
export function compilerFor(draft: Draft, regExp: NonNullable<Options['code']>['regExp']): AjvInstance {
  return newAjv(draft, {
    validateSchema: false,
    addUsedSchema: false,
    inlineRefs: false,
    code: { optimize: false, ...(regExp ? { regExp } : {}) },
  });
}
