import { Type, type Static } from '@sinclair/typebox';
import { cursorQuery, Page } from '../http/api-shapes.js';

const Warning = Type.Object({
  chart: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  message: Type.String(),
});

export const SyncRunView = Type.Object({
  id: Type.String(),
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('manual')]),
  status: Type.Union([
    Type.Literal('running'),
    Type.Literal('succeeded'),
    Type.Literal('unchanged'),
    Type.Literal('failed'),
    Type.Literal('suspect'),
  ]),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  added: Type.Integer(),
  updated: Type.Integer(),
  removed: Type.Integer(),
  unchanged: Type.Integer(),
  warnings: Type.Array(Warning),
  error: Type.Union([Type.String(), Type.Null()]),
  errorCode: Type.Union([Type.String(), Type.Null()]),
});
export type SyncRunView = Static<typeof SyncRunView>;

export const SyncRunList = Page(SyncRunView);
export type SyncRunList = Static<typeof SyncRunList>;

export const StartSyncReply = Type.Object({ run: SyncRunView });

export const StartSyncQuery = Type.Object(
  {
    force: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'Take over a sync another process holds (a stuck one); the other run is discarded.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RunsQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1 to 100, default 20' })),
    cursor: Type.Optional(cursorQuery(200)),
  },
  { additionalProperties: false },
);
