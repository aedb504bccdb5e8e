import {
  Type,
  type TArray,
  type TObject,
  type TOptional,
  type TSchema,
  type TString,
} from '@sinclair/typebox';
import { PRINTABLE_TEXT_PATTERN } from '../shared/text.js';

/** The SPEC §3 error body, documented on every route. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(
      Type.Array(Type.Object({ field: Type.Optional(Type.String()), message: Type.String() })),
    ),
  }),
});

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
} as const;

export const bearerSecurity = [{ bearer: [] }];

/** The SPEC §3 list shape: `{items, nextCursor}`, the cursor absent on the last page. */
export function Page<T extends TSchema>(
  item: T,
): TObject<{ items: TArray<T>; nextCursor: TOptional<TString> }> {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Optional(Type.String()) });
}

/** Free text in a query (a search): anything printable, so no control character reaches a query. */
export const queryText = (maxLength: number, description?: string): TString =>
  Type.String({
    maxLength,
    pattern: PRINTABLE_TEXT_PATTERN,
    ...(description === undefined ? {} : { description }),
  });

/** An opaque cursor this server handed out: base64url, decoded and checked again by its service. */
export const cursorQuery = (maxLength: number): TString =>
  Type.String({ maxLength, pattern: '^[A-Za-z0-9_-]*$' });
