import { createHash } from 'node:crypto';
import { MissingRefError } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { RegExpEngine, RegExpLike } from 'ajv/dist/types/index.js';
import type { ValuesProblem } from './layer-values.js';
import { compilerFor, draftOf, metaValidator } from './schema-drafts.js';
import type { Draft } from './schema-drafts.js';
import { forEachSubschema, removeRemoteRefs } from './schema-refs.js';
import { formatPath, isMapping } from './values-path.js';
import type { PathSegment } from './values-path.js';

export interface SchemaCheck {
  violations: ValuesProblem[];
  warnings: string[];
}

/** A chart's values.schema.json above this is not read (warning), like any other untrusted input. */
export const MAX_SCHEMA_BYTES = 1024 * 1024;
/** Violations listed per check; the rest are counted in a last "and N more". */
export const MAX_VIOLATIONS = 100;
/** Longest `pattern` compiled; a longer one is not checked (warning). */
export const MAX_PATTERN_CHARS = 1000;
const MAX_SHOWN_CHARS = 80;

interface Compiled {
  validate: ValidateFunction | undefined;
  warnings: string[];
}

/*
 * Patterns are the one place where a schema can make validation slow: JavaScript's backtracking
 * engine has no time limit, and no linear-time engine ships with Node by default. A pattern longer
 * than MAX_PATTERN_CHARS, or with a quantified group that itself ends in a quantifier (`(a+)+`,
 * `(\w+\s?)*`: the classic catastrophic shape), is not compiled: it matches everything and the layer
 * gets a warning. This catches the common shapes, not every slow regex (overlapping alternations like
 * `(a|a)*` pass); the process-wide V8 flag --enable-experimental-regexp-engine-on-excessive-backtracks
 * would cover the rest. A pattern JavaScript cannot read (RE2's `(?i)`, which Helm's Go validator
 * accepts) is skipped the same way instead of failing the whole schema.
 */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[*+?}]\)[*+{]/;

/** Why a pattern is not compiled, or undefined when it is compiled. */
function patternIssue(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_CHARS) {
    return `a pattern in the schema is longer than ${MAX_PATTERN_CHARS} characters and is not checked`;
  }
  if (NESTED_QUANTIFIER.test(pattern)) {
    return `the pattern ${shown(pattern)} could take exponential time to match and is not checked`;
  }
  if (!toRegExp(pattern, 'u'))
    return `the pattern ${shown(pattern)} is not a JavaScript regular expression and is not checked`;
  return undefined;
}

function toRegExp(pattern: string, flags: string): RegExp | undefined {
  // Tried again without the `u` flag: identity escapes like `\-` are errors only with it.
  for (const attempt of [flags, flags.replace('u', '')]) {
    try {
      return new RegExp(pattern, attempt);
    } catch {
      // next attempt
    }
  }
  return undefined;
}

/**
 * A pattern that is not compiled matches everything: `pattern` then accepts any string, and a
 * `patternProperties` entry (whose subschema {@link skipUnsafePatternProperties} made `true`) accepts
 * any property, rather than applying its subschema to every key or calling them all "additional".
 */
function regExpEngine(warnings: Set<string>): RegExpEngine {
  const matchAll: RegExpLike = { test: () => true };
  const engine = (pattern: string, flags: string): RegExpLike => {
    const issue = patternIssue(pattern);
    if (issue) warnings.add(issue);
    return (issue ? undefined : toRegExp(pattern, flags)) ?? matchAll;
  };
  // Only read by Ajv's standalone code generation, which is not used here.
  return Object.assign(engine, { code: 'charthouseRegExp' });
}

function skipUnsafePatternProperties(
  schema: Record<string, unknown>,
  draft: Draft,
  warnings: Set<string>,
): void {
  forEachSubschema(schema, draft, (node) => {
    const patterns = node.patternProperties;
    if (!isMapping(patterns)) return;
    for (const pattern of Object.keys(patterns)) {
      const issue = patternIssue(pattern);
      if (!issue) continue;
      warnings.add(issue);
      patterns[pattern] = true;
    }
  });
}

/**
 * Validates values against a chart version's values.schema.json, as Helm would before installing.
 * The schema is untrusted: nothing in it is fetched (remote `$ref`s are reported and treated as
 * accepting anything), a schema that cannot be used (too big, not JSON, not an object, not valid for
 * its draft, not compilable) is a warning and no violations, never an exception. Compiled schemas are
 * cached by the SHA-256 of their text, least recently used first out.
 */
export class ValuesSchemaValidator {
  private readonly cache = new Map<string, Compiled>();
  private readonly maxCachedSchemas: number;

  constructor(options: { maxCachedSchemas?: number } = {}) {
    this.maxCachedSchemas = Math.max(1, options.maxCachedSchemas ?? 500);
  }

  /**
   * Every violation at once (deduplicated, at most {@link MAX_VIOLATIONS} and a last "and N more"),
   * each with the path of the value to fix (for `required`, the missing key; for
   * `additionalProperties`, the extra one) and a message without the path. A violation exactly at one
   * of `ignorePaths` (the template's `templatedPaths`) is left out. Warnings are about the schema.
   */
  check(schemaText: string, values: unknown, options: { ignorePaths?: readonly string[] } = {}): SchemaCheck {
    const compiled = this.compiled(schemaText);
    if (!compiled.validate) return { violations: [], warnings: [...compiled.warnings] };
    let valid: boolean;
    try {
      valid = compiled.validate(values) as boolean;
    } catch {
      // A compiled validator does not throw on JSON data; a schema Ajv mis-compiled could.
      return {
        violations: [],
        warnings: [...compiled.warnings, 'the schema could not be applied to the values'],
      };
    }
    const errors = valid ? [] : (compiled.validate.errors ?? []);
    return {
      violations: violations(errors, values, options.ignorePaths ?? []),
      warnings: [...compiled.warnings],
    };
  }

  private compiled(schemaText: string): Compiled {
    const key = createHash('sha256').update(schemaText).digest('hex');
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const compiled = compileSchema(schemaText);
    this.cache.set(key, compiled);
    if (this.cache.size > this.maxCachedSchemas) this.cache.delete(this.cache.keys().next().value!);
    return compiled;
  }
}

const notChecked = 'values are not checked against it';

function compileSchema(schemaText: string): Compiled {
  if (schemaText.length > MAX_SCHEMA_BYTES || Buffer.byteLength(schemaText, 'utf8') > MAX_SCHEMA_BYTES) {
    return unusable(`the chart's values.schema.json is larger than 1 MiB: ${notChecked}`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(schemaText);
  } catch {
    return unusable(`the chart's values.schema.json is not valid JSON: ${notChecked}`);
  }
  if (!isMapping(schema))
    return unusable(`the chart's values.schema.json is not a JSON object: ${notChecked}`);

  const warnings: string[] = [];
  let draft = draftOf(schema.$schema);
  if (!draft) {
    warnings.push(
      `the schema's $schema ${shown(String(schema.$schema))} is not a JSON Schema draft Helm reads: checked as draft-07`,
    );
    draft = '07';
  }
  const draftName = draft === '04' || draft === '06' || draft === '07' ? `draft-${draft}` : draft;
  try {
    // Our own choice of draft stands: the root `$schema` is not looked up again (an undated or unknown
    // URI would make Ajv look for a meta-schema it does not have).
    delete schema.$schema;
    const meta = metaValidator(draft);
    if (!meta(schema)) {
      const error = meta.errors?.[0];
      const where = error?.instancePath ? ` at ${shown(error.instancePath)}` : '';
      return unusable(
        `the chart's values.schema.json is not a valid ${draftName} JSON Schema${where} (${error?.message ?? 'invalid'}): ${notChecked}`,
        warnings,
      );
    }
    for (const ref of removeRemoteRefs(schema, draft)) {
      warnings.push(
        `the schema refers to ${shown(ref)}, which is never fetched: values there are not checked`,
      );
    }
    const patternWarnings = new Set<string>();
    skipUnsafePatternProperties(schema, draft, patternWarnings);
    const validate = compileWith(draft, schema, patternWarnings);
    warnings.push(...patternWarnings);
    return { validate, warnings };
  } catch (error) {
    if (error instanceof MissingRefError) {
      return unusable(
        `the schema refers to ${shown(error.missingRef)}, which it does not define: ${notChecked}`,
        warnings,
      );
    }
    const reason = error instanceof Error ? `: ${shown(error.message)}` : '';
    return unusable(`the chart's values.schema.json could not be compiled${reason}; ${notChecked}`, warnings);
  }
}

function compileWith(
  draft: Draft,
  schema: Record<string, unknown>,
  patternWarnings: Set<string>,
): ValidateFunction {
  return compilerFor(draft, regExpEngine(patternWarnings)).compile(schema);
}

function unusable(warning: string, earlier: string[] = []): Compiled {
  return { validate: undefined, warnings: [...earlier, warning] };
}

function shown(text: string): string {
  const cut = text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
  return JSON.stringify(cut);
}

function violations(
  errors: readonly ErrorObject[],
  values: unknown,
  ignorePaths: readonly string[],
): ValuesProblem[] {
  const ignored = new Set(ignorePaths);
  const seen = new Set<string>();
  const out: ValuesProblem[] = [];
  let more = 0;
  for (const error of errors) {
    const problem = { path: formatPath(pathOf(error, values)), message: messageOf(error) };
    if (ignored.has(problem.path)) continue;
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (out.length < MAX_VIOLATIONS) out.push(problem);
    else more++;
  }
  if (more > 0) out.push({ path: '', message: `and ${more} more` });
  return out;
}

/** Ajv's JSON pointer as segments, list indexes as numbers (the data says which is which). */
function pathOf(error: ErrorObject, values: unknown): PathSegment[] {
  const segments: PathSegment[] = [];
  let node: unknown = values;
  if (error.instancePath !== '') {
    for (const raw of error.instancePath.slice(1).split('/')) {
      const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(node)) {
        const index = Number(token);
        segments.push(index);
        node = node[index];
      } else {
        segments.push(token);
        node = isMapping(node) ? node[token] : undefined;
      }
    }
  }
  const params = error.params as Record<string, unknown>;
  const child = params.missingProperty ?? params.additionalProperty ?? params.unevaluatedProperty;
  if (typeof child === 'string') segments.push(child);
  return segments;
}

function messageOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'dependencies':
    case 'dependentRequired':
      return `is required when ${shown(String(params.property))} is set`;
    case 'additionalProperties':
      return "is not allowed: the chart's schema does not define it";
    case 'unevaluatedProperties':
      return "is not allowed: the chart's schema does not define it";
    case 'enum':
      return `must be one of ${shown((params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', '))}`;
    case 'pattern':
      return `must match the pattern ${shown(String(params.pattern))}`;
    default:
      return error.message ?? `does not satisfy the schema's ${error.keyword}`;
  }
}
