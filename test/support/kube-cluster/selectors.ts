import { errors } from './status.js';

/*
 * Label and field selectors, in the grammar of k8s.io/apimachinery/pkg/labels and pkg/fields:
 *   labels:  `a=b`, `a==b`, `a!=b`, `a in (b,c)`, `a notin (b,c)`, `a`, `!a`, `a>1`, `a<1`, comma = AND
 *   fields:  `f=v`, `f==v`, `f!=v`, comma = AND, only on the fields a resource indexes
 * Malformed selectors are 400 BadRequest, as on a real server.
 */

export type Labels = Readonly<Record<string, string>>;

type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'doesnotexist' }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type LabelSelector = (labels: Labels) => boolean;

/** Splits on commas that are not inside `( )`, so `a in (b,c),d` is two requirements. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, selector: string): string {
  if (!LABEL_KEY.test(key))
    throw errors.badRequest(
      `unable to parse requirement: invalid label key "${key}" in selector "${selector}"`,
    );
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!LABEL_VALUE.test(value) || value.length > 63) {
    throw errors.badRequest(
      `unable to parse requirement: invalid label value "${value}" in selector "${selector}"`,
    );
  }
  return value;
}

function parseRequirement(part: string, selector: string): LabelRequirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (setMatch) {
    const values = setMatch[3]!.split(',').map((v) => checkValue(v.trim(), selector));
    return { key: checkKey(setMatch[1]!, selector), op: setMatch[2] as 'in' | 'notin', values };
  }
  const opMatch = /^([^!=<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(part);
  if (opMatch) {
    const key = checkKey(opMatch[1]!, selector);
    const op = opMatch[2]!;
    const raw = opMatch[3]!.trim();
    if (op === '>' || op === '<') {
      const value = Number(raw);
      if (!Number.isInteger(value))
        throw errors.badRequest(
          `unable to parse requirement: for 'gt', 'lt' operators, the value must be an integer in selector "${selector}"`,
        );
      return { key, op: op === '>' ? 'gt' : 'lt', value };
    }
    return { key, op: op === '!=' ? 'notin' : 'in', values: [checkValue(raw, selector)] };
  }
  if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), selector), op: 'doesnotexist' };
  return { key: checkKey(part, selector), op: 'exists' };
}

function matches(req: LabelRequirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'in':
      return has && req.values.includes(value!);
    // As in apimachinery: `a!=b` and `a notin (b)` also select objects without the label `a`.
    case 'notin':
      return !has || !req.values.includes(value!);
    case 'exists':
      return has;
    case 'doesnotexist':
      return !has;
    case 'gt':
      return has && Number(value) > req.value;
    case 'lt':
      return has && Number(value) < req.value;
  }
}

export function parseLabelSelector(selector: string | undefined | null): LabelSelector {
  const requirements = splitTopLevel(selector ?? '').map((p) => parseRequirement(p, selector!));
  return (labels) => requirements.every((r) => matches(r, labels));
}

export type FieldSelector = (fields: Readonly<Record<string, string>>) => boolean;

/**
 * Parses a field selector. `supported` lists the fields the resource indexes; any other field is a
 * 400, as on a real server (which also answers that for fields it does not index).
 */
export function parseFieldSelector(
  selector: string | undefined | null,
  supported: readonly string[],
): FieldSelector {
  const terms = splitTopLevel(selector ?? '').map((part) => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = m[1]!;
    if (!supported.includes(field)) {
      throw errors.badRequest(
        `"${field}" is not a known field selector: only ${supported.map((f) => `"${f}"`).join(', ')}`,
      );
    }
    return { field, equal: m[2] !== '!=', value: m[3]!.trim() };
  });
  return (fields) => terms.every((t) => (fields[t.field] === t.value) === t.equal);
}
