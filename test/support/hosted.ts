import { createTgz, type TarEntry } from './chart-archive.js';

/** `Authorization: Basic` for a user of createTenant (`<tenant>-admin` / `<tenant>-member`). */
export function basic(username: string, password = `${username}-password`): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** A small valid chart archive; `extra` adds files (possibly hostile ones) inside it. */
export function chartTgz(name: string, version: string, ...extra: TarEntry[]): Buffer {
  return createTgz([
    {
      path: `${name}/Chart.yaml`,
      content: `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: ${name} for tests\n`,
    },
    { path: `${name}/values.yaml`, content: 'replicas: 1\n' },
    ...extra,
  ]);
}

/** POST a raw .tgz to the ChartMuseum API of a hosted registry. */
export async function uploadChart(
  url: string,
  tenant: string,
  tgz: Buffer,
  authorization: string | null,
  query = '',
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/helm/${tenant}/api/charts${query}`, {
    method: 'POST',
    headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/gzip' },
    body: tgz,
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}
