import { constants } from 'node:fs';
import { access, chmod, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from './output.js';

/*
 * Where `cluster create` and `cluster rotate-token` put an agent token with `--token-file`. The server
 * shows a token once, so the file is checked before the server is asked (a typo in the path must not
 * cost the only copy), and it is written private from its first byte and renamed into place, so an
 * agent reading the old file during a rotation never sees half a token.
 */

export interface TokenFile {
  path: string;
  write(token: string): Promise<void>;
}

/** Checks that `file` can be written (its folder exists and is writable; it is not a folder). */
export async function prepareTokenFile(file: string): Promise<TokenFile> {
  const target = path.resolve(file);
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) throw new CliError(`--token-file ${file} is a folder`);
  try {
    await access(path.dirname(target), constants.W_OK);
  } catch (err) {
    throw new CliError(`cannot write the token to ${file}: ${(err as Error).message}`);
  }
  return {
    path: file,
    async write(token) {
      const tmp = `${target}.${process.pid}.tmp`;
      try {
        // No trailing newline: the file holds the token and nothing else, for any reader.
        await writeFile(tmp, token, { mode: 0o600, flag: 'wx' });
        await chmod(tmp, 0o600); // the umask may have taken bits away; never added any
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { force: true });
        throw new CliError(
          `the agent token could not be written to ${file}: ${(err as Error).message}; make a new one with "charthouse cluster rotate-token"`,
        );
      }
    },
  };
}
