import { createHash } from 'node:crypto';
import { createCleartextMessage, generateKey, sign, type PrivateKey, type PublicKey } from 'openpgp';

/** A throw-away OpenPGP key pair for signing test charts (openpgp's defaults: Ed25519/Curve25519). */
export async function testSigningKey(
  name = 'Charthouse test signer',
): Promise<{ privateKey: PrivateKey; publicKey: PublicKey }> {
  const { privateKey, publicKey } = await generateKey({
    userIDs: [{ name, email: 'signer@charthouse.test' }],
    format: 'object',
  });
  return { privateKey, publicKey };
}

/**
 * A `.prov` as `helm package --sign` writes it (pkg/provenance/sign.go): Chart.yaml, a `...` line and
 * the archive's sha256 under `files:`, clearsigned. `fileName` defaults to `<name>-<version>.tgz`.
 */
export async function signChartProvenance(
  privateKey: PrivateKey,
  chart: { name: string; version: string },
  archive: Buffer,
  options: { fileName?: string; digestHex?: string } = {},
): Promise<Buffer> {
  const hex = options.digestHex ?? createHash('sha256').update(archive).digest('hex');
  const fileName = options.fileName ?? `${chart.name}-${chart.version}.tgz`;
  const text = [
    'apiVersion: v2',
    `name: ${chart.name}`,
    `version: ${chart.version}`,
    '',
    '...',
    'files:',
    `  ${fileName}: sha256:${hex}`,
  ].join('\n');
  const signed = await sign({ message: await createCleartextMessage({ text }), signingKeys: privateKey });
  return Buffer.from(signed, 'utf8');
}
