import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyRequest } from 'fastify';
import { chartNameProblem } from '../protocol/helm/chart-version.js';
import { parseChartVersion } from '../protocol/helm/semver-sort.js';
import {
  ChartFileParam,
  ChartNameParam,
  ChartVersionParam,
  idParam,
  pathParameterNotFound,
  RegistryNameParam,
  TenantParam,
  UsernameParam,
} from './parameters.js';

const HOSTILE = ['', '\u0000', 'a\u0000', '..', 'a/b', '/', 'café', '😀', 'a\nb', 'a'.repeat(5000)];

function accepts(schema: TSchema, values: string[]): void {
  for (const v of values) assert.equal(Value.Check(schema, v), true, JSON.stringify(v));
}
function refuses(schema: TSchema, values: string[]): void {
  for (const v of values) assert.equal(Value.Check(schema, v), false, JSON.stringify(v.slice(0, 40)));
}

describe('path parameter schemas', () => {
  it('tenant: the SPEC slug, `system` included', () => {
    accepts(TenantParam, ['acme', 'a', 'system', 'a-1', 'a'.repeat(63)]);
    refuses(TenantParam, [...HOSTILE, 'Acme', '-a', 'a-', 'a_b', 'a'.repeat(64)]);
  });

  it('registry name: what the registry schema allows', () => {
    accepts(RegistryNameParam, ['hosted', 'stable', 'Bitnami', 'a.b_c-d', 'hosted-charthouse']);
    refuses(RegistryNameParam, [...HOSTILE, '.a', 'a.', 'a'.repeat(64)]);
  });

  it('chart name: every name the catalog keeps, nothing else', () => {
    const names = ['nginx', 'My_Chart', '_x', 'a.b', 'a-b', 'x'.repeat(250), 'x'.repeat(251), '.x', '-x'];
    for (const name of [...names, ...HOSTILE]) {
      assert.equal(Value.Check(ChartNameParam, name), chartNameProblem(name) === null, name.slice(0, 40));
    }
  });

  it('chart version: every version the catalog keeps (non-strict ones too), nothing else', () => {
    const versions = [
      '1.2.3',
      'v1.2',
      '1',
      '01.2.3',
      '0.46.00',
      '1.2-beta',
      '1.2.3-rc.1+build.7',
      '1.2.3+build',
      '99999999999999999999.0.0',
      'latest',
      'V1.2.3',
      '1.2.3.4',
      '1.2.3-01',
      `1.0.0-${'a'.repeat(260)}`,
    ];
    for (const version of [...versions, ...HOSTILE]) {
      const kept = parseChartVersion(version).ok;
      // The schema checks the form only; range checks (uint64, leading zeros in pre-releases) stay
      // with the catalog, which answers 404 for a version it could never hold.
      if (kept) assert.equal(Value.Check(ChartVersionParam, version), true, version);
    }
    refuses(ChartVersionParam, [...HOSTILE, 'latest', 'V1.2.3', '1.2.3.4', `1.0.0-${'a'.repeat(260)}`]);
  });

  it('chart file: <name>-<version>.tgz and .tgz.prov', () => {
    accepts(ChartFileParam, ['demo-1.0.0.tgz', 'demo-1.0.0+b.1.tgz.prov', 'My_Chart-v1.2.tgz']);
    refuses(ChartFileParam, [...HOSTILE, '../x.tgz', 'demo-1.0.0.tar', '.tgz', 'a/b.tgz']);
  });

  it('username and ids', () => {
    // Any case: usernames compare case-insensitively, the service lowercases them.
    accepts(UsernameParam, ['admin', 'Admin', 'acme-admin', 'a.b@example.com']);
    refuses(UsernameParam, [...HOSTILE, '-admin', 'a'.repeat(65)]);
    const id = idParam('Token');
    accepts(id, ['0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b']);
    refuses(id, [...HOSTILE, '0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B', 'not-an-id']);
  });
});

describe('pathParameterNotFound', () => {
  const request = (params: Record<string, string>): FastifyRequest =>
    ({
      params,
      routeOptions: { schema: { params: Type.Object({ t: TenantParam, name: RegistryNameParam }) } },
    }) as unknown as FastifyRequest;
  const validation = (key: string) => ({
    validation: [{ instancePath: `/${key}`, keyword: 'pattern', params: {} }],
    validationContext: 'params',
  });

  it('names the thing from the schema title, the value escaped and cut', () => {
    const e = pathParameterNotFound(validation('t'), request({ t: 'acme\u0000', name: 'x' }));
    assert.equal(e?.status, 404);
    assert.equal(e?.code, 'not_found');
    assert.equal(e?.message, 'Tenant "acme\\u0000" was not found.');
    const long = pathParameterNotFound(validation('name'), request({ t: 'acme', name: 'a'.repeat(5000) }));
    assert.ok(long?.message.startsWith('Helm registry "aaaa'));
    assert.ok((long?.message.length ?? 0) < 120);
  });

  it('leaves every other error alone (bodies and queries are a 400)', () => {
    const body = { ...validation('name'), validationContext: 'body' };
    assert.equal(pathParameterNotFound(body, request({})), null);
    assert.equal(pathParameterNotFound(new Error('x'), request({})), null);
  });
});
