import { mkdir, readdir } from 'node:fs/promises';
import { TargetNotEmptyError } from './backup-errors.js';

/** Creates `folder` (mode 0700: a backup holds the key) or accepts it empty; refuses one with files. */
export async function prepareEmptyFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const entries = await readdir(folder);
  if (entries.length > 0) {
    throw new TargetNotEmptyError(
      `${folder} is not empty: write each backup into a new folder (an old backup is never overwritten).`,
    );
  }
}
