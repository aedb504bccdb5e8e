import { InvalidArgumentError } from 'commander';

/** Every command that talks to the server accepts these, spread into `.option(...)`. */
export const SERVER_OPTION = [
  '--server <url>',
  'Charthouse server URL (default: CHARTHOUSE_SERVER or the one you signed in to)',
] as const;
export const JSON_OPTION = ['--json', 'print the API response as JSON'] as const;

export interface ServerOpts {
  server?: string;
  json?: boolean;
}

export function positiveInt(value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError('must be a whole number of at least 1');
  }
  return Number(value);
}

/** For repeatable options: `--oci-repository a --oci-repository b`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
