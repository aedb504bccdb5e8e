import { type Command, InvalidArgumentError, Option } from 'commander';

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

/** `-o table|json`, as `profile resolve` has it; `--json` means the same as `-o json`. */
export interface OutputOpts extends ServerOpts {
  output: 'table' | 'json';
}

/** Adds `-o, --output`; the command must already have `--json` (JSON_OPTION). */
export function withOutput(cmd: Command): Command {
  return cmd.addOption(
    new Option('-o, --output <format>', 'table or json')
      .choices(['table', 'json'])
      .conflicts('json')
      .default('table'),
  );
}

export const jsonWanted = (opts: OutputOpts): boolean => opts.json === true || opts.output === 'json';

export function positiveInt(value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError('must be a whole number of at least 1');
  }
  return Number(value);
}

/** `30s`, `5m`, `1h` or plain seconds, in milliseconds. */
export function duration(value: string): number {
  const m = /^([0-9]+)(s|m|h)?$/.exec(value);
  if (!m || Number(m[1]) < 1) throw new InvalidArgumentError('a duration such as 30s, 5m or 1h');
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

/** For repeatable options: `--oci-repository a --oci-repository b`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
