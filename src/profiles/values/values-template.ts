import { randomBytes } from 'node:crypto';
import { MAX_VALUES_BYTES, parseValuesText } from './layer-values.js';
import type { ValuesProblem } from './layer-values.js';
import { formatPath, isMapping, setOwn } from './values-path.js';
import type { PathSegment } from './values-path.js';

/*
 * Profile variables inside a layer's values: `{{ .Variables.NAME }}` (spaces or tabs inside the braces
 * optional), as Palette's `{{.spectro.var.X}}`. Such a reference is not YAML by itself (an unquoted
 * `{{` opens a flow mapping), so rendering never templates text: each reference is replaced by a
 * sentinel (letters and digits with a random part checked absent from the text, so it is a plain YAML
 * scalar anywhere and no user text can forge one), the text is parsed as values, and the tree is
 * walked:
 * - a scalar that is exactly one unquoted reference (`port: {{ .Variables.port }}`) becomes the typed
 *   value: a number variable gives a number, a boolean a boolean, a string a string (never re-read as
 *   YAML: a string variable "true" stays the string "true"), an optional variable without value null;
 * - a reference written alone inside quotes (`port: "{{ .Variables.port }}"`) gives text, as in a Go
 *   template: the quotes are how a user asks for a string (Kubernetes annotations and labels must be
 *   strings). Numbers become their JSON text, booleans `true`/`false`, a missing optional value "";
 * - a reference among other text (`url: http://{{ .Variables.host }}:8080`, block scalars included)
 *   is interpolated the same way and the result is a string;
 * - a reference in a mapping key is a problem: keys come from the chart's schema, not from a cluster.
 * Any other `{{ ... }}` (`{{ .Release.Name }}`, `{{ include "x" . }}`) is left as it is: many charts
 * pass such strings through `tpl` (loki-stack, memcached and lgtm-distributed in the corpus do, in their
 * own values.yaml), so refusing them would refuse a chart's own defaults. Only an expression that
 * mentions `Variables` without being a well-formed reference is a problem. A reference inside a YAML
 * comment is listed by {@link variableReferences} (it is text) but never resolved.
 */

export type VariableType = 'string' | 'number' | 'boolean';
export type VariableValue = string | number | boolean;

export interface ProfileVariable {
  name: string;
  type: VariableType;
  required: boolean;
  default?: VariableValue;
  sensitive: boolean;
  description?: string;
}

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const MAX_VARIABLES = 100;
export const MAX_VARIABLE_DESCRIPTION_CHARS = 500;
/** Text added by substitution, all references together: a 1 MiB value used 1,000 times stays bounded. */
export const MAX_SUBSTITUTED_CHARS = MAX_VALUES_BYTES;

const VARIABLE_TYPES: readonly VariableType[] = ['string', 'number', 'boolean'];
const EXPRESSION = /\{\{([\s\S]*?)\}\}/g;
const REFERENCE = /^[ \t]*\.Variables\.([A-Za-z_][A-Za-z0-9_]*)[ \t]*$/;
const MENTIONS_VARIABLES = /variables/i;
const REFERENCE_FORM = 'write a variable reference as {{ .Variables.NAME }}';

interface FoundReference {
  name: string;
  start: number;
  end: number;
  quoted: boolean;
}

function scanReferences(text: string): { references: FoundReference[]; problems: ValuesProblem[] } {
  const references: FoundReference[] = [];
  const problems: ValuesProblem[] = [];
  for (const match of text.matchAll(EXPRESSION)) {
    const start = match.index;
    const end = start + match[0].length;
    const reference = REFERENCE.exec(match[1]!);
    const line = lineAt(text, start);
    if (reference) {
      const name = reference[1]!;
      if (!VARIABLE_NAME.test(name)) {
        problems.push({ path: '', message: `line ${line}: a variable name has at most 63 characters` });
        continue;
      }
      const before = text[start - 1];
      const quoted = (before === '"' || before === "'") && text[end] === before;
      references.push({ name, start, end, quoted });
    } else if (MENTIONS_VARIABLES.test(match[1]!)) {
      problems.push({ path: '', message: `line ${line}: ${REFERENCE_FORM} (letters, digits and _)` });
    }
  }
  return { references, problems };
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

/**
 * Every `{{ .Variables.X }}` referenced in the text, in first-seen order; an expression inside `{{ }}`
 * that mentions Variables but is not a well-formed reference is a problem (path ``, with its line).
 * Other `{{ }}` expressions are the chart's own business (see the top of this file).
 */
export function variableReferences(text: string): { names: string[]; problems: ValuesProblem[] } {
  const { references, problems } = scanReferences(text);
  return { names: [...new Set(references.map((reference) => reference.name))], problems };
}

export type RenderResult =
  | { ok: true; values: Record<string, unknown>; templatedPaths: string[] }
  | { ok: false; problems: ValuesProblem[] };

/**
 * Renders values text with the given variable values into a mapping, plus the paths at which a
 * variable was substituted (each once, in document order). A variable without a given value takes its
 * default; else a required one is a problem, an optional one null. A given value of the wrong type
 * (numbers must be finite; a "3" for a number variable is refused, not converted), a reference to an
 * undeclared variable, and a reference in a key are problems, each variable's at the first path that
 * uses it. Messages name variables, never their values. Given values for variables the text does not
 * use are ignored.
 */
export function renderValues(
  text: string,
  variables: readonly ProfileVariable[],
  given: Readonly<Record<string, VariableValue>>,
): RenderResult {
  return render(text, variables, (variable) => {
    if (Object.hasOwn(given, variable.name)) return { value: given[variable.name]!, from: 'value' };
    if (variable.default !== undefined) return { value: variable.default, from: 'default' };
    return variable.required ? 'missing' : { value: null, from: 'value' };
  });
}

/**
 * Renders for schema validation before any cluster gives values (publish time): a variable's default
 * where it has one, else a stand-in of its type ("", 0, false). The stand-ins are not real values, so
 * the caller passes `templatedPaths` to `ValuesSchemaValidator.check` as `ignorePaths`: a violation
 * exactly at a substituted path is not reported (a default is checked like any value only when it is
 * not at such a path; in practice the cluster-time render checks defaults again).
 */
export function renderValuesForValidation(text: string, variables: readonly ProfileVariable[]): RenderResult {
  return render(text, variables, (variable) => {
    if (variable.default !== undefined) return { value: variable.default, from: 'default' };
    return { value: STAND_INS[variable.type], from: 'value' };
  });
}

const STAND_INS: Record<VariableType, VariableValue> = { string: '', number: 0, boolean: false };

type Resolution = { value: VariableValue | null; from: 'value' | 'default' } | 'missing';
type Resolved = { ok: true; value: VariableValue | null } | { ok: false };

function render(
  text: string,
  variables: readonly ProfileVariable[],
  resolveVariable: (variable: ProfileVariable) => Resolution,
): RenderResult {
  const scan = scanReferences(text);
  if (scan.problems.length > 0) return { ok: false, problems: scan.problems };
  const names = [...new Set(scan.references.map((reference) => reference.name))];
  const prefix = sentinelPrefix(text);
  let substituted = '';
  let last = 0;
  for (const reference of scan.references) {
    const kind = reference.quoted ? 'q' : 'p';
    substituted += `${text.slice(last, reference.start)}${prefix}${kind}${names.indexOf(reference.name)}Z`;
    last = reference.end;
  }
  substituted += text.slice(last);

  const parsed = parseValuesText(substituted, text);
  if (!parsed.ok) return parsed;
  if (scan.references.length === 0) return { ok: true, values: parsed.values, templatedPaths: [] };

  const declared = new Map(variables.map((variable) => [variable.name, variable]));
  const problems: ValuesProblem[] = [];
  const resolved = new Map<string, Resolved>();
  const resolve = (name: string, at: PathSegment[]): Resolved => {
    let result = resolved.get(name);
    if (!result) {
      const problem = variableProblem(name, declared.get(name), resolveVariable);
      if (typeof problem === 'string') {
        problems.push({ path: formatPath(at), message: problem });
        result = { ok: false };
      } else result = { ok: true, value: problem.value };
      resolved.set(name, result);
    }
    return result;
  };

  const sentinel = new RegExp(`${prefix}([pq])(\\d+)Z`, 'g');
  const whole = new RegExp(`^${prefix}([pq])(\\d+)Z$`);
  const templatedPaths: string[] = [];
  let budget = MAX_SUBSTITUTED_CHARS;
  const spend = (value: VariableValue | null): boolean => {
    budget -= value === null ? 4 : String(value).length;
    return budget >= 0;
  };

  const substitute = (node: string, at: PathSegment[]): unknown => {
    templatedPaths.push(formatPath(at));
    const exact = whole.exec(node);
    if (exact) {
      const result = resolve(names[Number(exact[2])]!, at);
      if (!result.ok || !spend(result.value)) return null;
      return exact[1] === 'q' ? asText(result.value) : result.value;
    }
    let failed = false;
    const out = node.replace(sentinel, (_match, _kind: string, index: string) => {
      const result = resolve(names[Number(index)]!, at);
      if (!result.ok || !spend(result.value)) failed = true;
      return result.ok ? asText(result.value) : '';
    });
    return failed ? null : out;
  };

  const walk = (node: unknown, at: PathSegment[]): unknown => {
    if (budget < 0) return node;
    if (typeof node === 'string') return node.includes(prefix) ? substitute(node, at) : node;
    if (Array.isArray(node)) {
      node.forEach((item, index) => (node[index] = walk(item, [...at, index])));
    } else if (isMapping(node)) {
      for (const [key, value] of Object.entries(node)) {
        if (key.includes(prefix)) {
          const keyNames = [...key.matchAll(sentinel)].map((match) => names[Number(match[2])]);
          problems.push({
            path: formatPath(at),
            message: `a mapping key uses {{ .Variables.${keyNames[0]} }}: variables can only be used in values, not in keys`,
          });
          continue;
        }
        setOwn(node, key, walk(value, [...at, key]));
      }
    }
    return node;
  };
  const values = walk(parsed.values, []) as Record<string, unknown>;
  if (budget < 0) {
    return {
      ok: false,
      problems: [
        {
          path: '',
          message: `variables add more than ${MAX_SUBSTITUTED_CHARS} characters to the values: use shorter values or fewer references`,
        },
      ],
    };
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values, templatedPaths };
}

/** The value for a variable, or the problem with it as a message. */
function variableProblem(
  name: string,
  variable: ProfileVariable | undefined,
  resolveVariable: (variable: ProfileVariable) => Resolution,
): { value: VariableValue | null } | string {
  if (!variable)
    return `unknown variable ${name}: declare it in the profile's variables or remove the reference`;
  const resolution = resolveVariable(variable);
  if (resolution === 'missing') return `variable ${name} is required: give it a value`;
  const { value, from } = resolution;
  if (value === null || isOfType(value, variable.type)) return { value };
  const what = from === 'default' ? `the default of variable ${name}` : `variable ${name}`;
  return `${what} must be ${article(variable.type)}, not ${describe(value)}`;
}

function isOfType(value: unknown, type: VariableType): value is VariableValue {
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === type;
}

function article(type: VariableType): string {
  return type === 'string' ? 'a string' : type === 'number' ? 'a finite number' : 'a boolean (true or false)';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number' : 'infinity or NaN';
  return `${typeof value === 'object' ? 'an' : 'a'} ${typeof value}`;
}

function asText(value: VariableValue | null): string {
  return value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

function sentinelPrefix(text: string): string {
  for (;;) {
    const prefix = `chv${randomBytes(6).toString('hex')}`;
    if (!text.includes(prefix)) return prefix;
  }
}

export type DeclarationsCheck =
  { ok: true; variables: ProfileVariable[] } | { ok: false; problems: ValuesProblem[] };

const DECLARATION_KEYS = new Set(['name', 'type', 'required', 'default', 'sensitive', 'description']);

/**
 * Checks a profile's variable declarations as they arrive (any JSON): a list of at most
 * {@link MAX_VARIABLES}, names valid and unique (case-sensitively: they are Go-template-like
 * identifiers), a known type, `required` and `sensitive` booleans (absent means false), a default of
 * the declared type. A sensitive variable may have a default: the profile service seals it like a
 * password and never returns it (SPEC §2), so nothing here treats it differently. A required variable
 * may have one too (the default then satisfies it). Unknown keys are refused
 * rather than dropped. Paths are `variables[2].default`; messages never quote a default.
 */
export function checkVariableDeclarations(vars: unknown): DeclarationsCheck {
  if (!Array.isArray(vars)) return fail('variables', 'variables must be a list');
  if (vars.length > MAX_VARIABLES)
    return fail('variables', `a profile has at most ${MAX_VARIABLES} variables`);
  const problems: ValuesProblem[] = [];
  const variables: ProfileVariable[] = [];
  const seen = new Set<string>();
  vars.forEach((declaration: unknown, index) => {
    const at = `variables[${index}]`;
    const problem = (field: string, message: string): void => {
      problems.push({ path: field ? `${at}.${field}` : at, message });
    };
    if (!isMapping(declaration)) return problem('', 'a variable must be an object with name and type');
    for (const key of Object.keys(declaration)) {
      if (!DECLARATION_KEYS.has(key)) problem('', `unknown field ${JSON.stringify(key.slice(0, 40))}`);
    }
    const { name, type, required = false, sensitive = false, description } = declaration;
    const value = declaration.default;
    if (typeof name !== 'string' || !VARIABLE_NAME.test(name)) {
      problem('name', 'a name starts with a letter or _, then up to 62 letters, digits or _');
    } else if (seen.has(name)) {
      problem('name', `variable ${name} is declared twice`);
    } else seen.add(name);
    const typeOk = typeof type === 'string' && (VARIABLE_TYPES as readonly string[]).includes(type);
    if (!typeOk) problem('type', 'type must be string, number or boolean');
    if (typeof required !== 'boolean') problem('required', 'required must be true or false');
    if (typeof sensitive !== 'boolean') problem('sensitive', 'sensitive must be true or false');
    if (
      description !== undefined &&
      (typeof description !== 'string' || description.length > MAX_VARIABLE_DESCRIPTION_CHARS)
    ) {
      problem(
        'description',
        `description must be text of at most ${MAX_VARIABLE_DESCRIPTION_CHARS} characters`,
      );
    }
    if (value !== undefined) {
      if (typeOk && !isOfType(value, type as VariableType)) {
        problem('default', `the default must be ${article(type as VariableType)}, not ${describe(value)}`);
      } else if (typeof value === 'string' && value.length > MAX_SUBSTITUTED_CHARS) {
        problem('default', `the default is longer than ${MAX_SUBSTITUTED_CHARS} characters`);
      }
    }
    if (problems.length === 0) {
      variables.push({
        name: name as string,
        type: type as VariableType,
        required: required as boolean,
        sensitive: sensitive as boolean,
        ...(value !== undefined ? { default: value as VariableValue } : {}),
        ...(description !== undefined ? { description: description as string } : {}),
      });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, variables };
}

function fail(path: string, message: string): DeclarationsCheck {
  return { ok: false, problems: [{ path, message }] };
}
