import { createInterface } from 'node:readline/promises';
import { CliError, UsageError } from './output.js';

/*
 * Everything the CLI reads from the user. Prompts go to stderr so that stdout stays clean for
 * `--json` and for `TOKEN=$(charthouse token create ci)`. Passwords are only ever read from stdin.
 */

const MAX_SECRET_BYTES = 64 * 1024;

export const stdinIsTTY = (): boolean => process.stdin.isTTY === true;

export async function promptLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export async function confirm(question: string): Promise<boolean> {
  return /^y(es)?$/i.test(await promptLine(`${question} [y/N] `));
}

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    const finish = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      // Arrow and function keys arrive as escape sequences: not part of a password.
      if (chunk.startsWith('\u001b')) return;
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new CliError('aborted', 130));
        if (ch === '\u0004') return value === '' ? finish(new CliError('aborted', 130)) : finish();
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

/**
 * The password for `--password-stdin`: all of stdin without its final line break (so `echo pw |`
 * and `printf pw |` agree), or a hidden prompt when stdin is a terminal.
 */
export async function readSecretFromStdin(label = 'Password'): Promise<string> {
  if (stdinIsTTY()) {
    const value = await promptHidden(`${label}: `);
    if (value === '') throw new UsageError(`${label.toLowerCase()} must not be empty`);
    return value;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_SECRET_BYTES)
      throw new UsageError(`stdin holds more than ${MAX_SECRET_BYTES} bytes: not a password`);
    chunks.push(buf);
  }
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (value === '') throw new UsageError(`--password-stdin was given but stdin is empty`);
  return value;
}

/** A password from the terminal, or a usage error telling how to pass one when there is no terminal. */
export async function requireSecret(passwordStdin: boolean | undefined, label = 'Password'): Promise<string> {
  if (passwordStdin || stdinIsTTY()) return readSecretFromStdin(label);
  throw new UsageError('stdin is not a terminal: pipe the password in and add --password-stdin');
}
