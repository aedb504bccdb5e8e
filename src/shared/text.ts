/*
 * Text from requests. C0 and C1 control characters belong in no name, path, cursor or search text, and
 * NUL cannot even be stored (PostgreSQL refuses it in text): requests holding one are refused at the
 * HTTP edge and by the parameter schemas.
 */

const CONTROL_CLASS = '\\u0000-\\u001f\\u007f-\\u009f';

export const CONTROL_CHARACTERS = new RegExp(`[${CONTROL_CLASS}]`);

/** A JSON Schema `pattern` for text without control characters. */
export const PRINTABLE_TEXT_PATTERN = `^[^${CONTROL_CLASS}]*$`;

/** A name from a request, safe in a message: control characters escaped, cut at 80 characters. */
export function shownName(text: string): string {
  const cut = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return cut.replace(
    new RegExp(CONTROL_CHARACTERS.source, 'g'),
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
