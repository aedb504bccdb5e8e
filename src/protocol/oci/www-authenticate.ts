/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). Scheme and parameter names are lowercased. */
export interface AuthChallenge {
  scheme: 'basic' | 'bearer' | (string & {});
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), when the challenge has one instead of parameters. */
  token68?: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*(?=\s*(?:,|$))/;

class Scanner {
  position = 0;
  constructor(readonly text: string) {}

  get rest(): string {
    return this.text.slice(this.position);
  }

  skip(pattern: RegExp): void {
    const match = pattern.exec(this.rest);
    if (match) this.position += match[0].length;
  }

  read(pattern: RegExp): string | undefined {
    const match = pattern.exec(this.rest);
    if (!match) return undefined;
    this.position += match[0].length;
    return match[0];
  }

  readQuoted(): string {
    let value = '';
    this.position += 1; // opening quote
    while (this.position < this.text.length) {
      const ch = this.text[this.position++]!;
      if (ch === '"') return value;
      if (ch === '\\' && this.position < this.text.length) value += this.text[this.position++]!;
      else value += ch;
    }
    return value; // unterminated: keep what was there
  }
}

/** Reads `name = value` at the scanner, or returns undefined (and moves nothing) if there is none. */
function readParam(scanner: Scanner): [string, string] | undefined {
  const start = scanner.position;
  const name = scanner.read(TOKEN);
  scanner.skip(/^[ \t]*/);
  if (name === undefined || scanner.read(/^=/) === undefined) {
    scanner.position = start;
    return undefined;
  }
  scanner.skip(/^[ \t]*/);
  const value = scanner.rest.startsWith('"') ? scanner.readQuoted() : (scanner.read(TOKEN) ?? '');
  return [name.toLowerCase(), value];
}

/** Parses every challenge of a `WWW-Authenticate` value (several challenges may share one header). */
export function parseWwwAuthenticateAll(header: string): AuthChallenge[] {
  const scanner = new Scanner(header);
  const challenges: AuthChallenge[] = [];
  for (;;) {
    scanner.skip(/^[\s,]*/);
    const scheme = scanner.read(TOKEN);
    if (scheme === undefined) return challenges;
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    scanner.skip(/^[ \t]*/);
    const token68 = scanner.read(TOKEN68);
    if (token68 !== undefined) {
      challenge.token68 = token68;
      continue;
    }
    for (;;) {
      const param = readParam(scanner);
      if (param === undefined) break;
      const [name, value] = param;
      if (name !== '__proto__' && !Object.hasOwn(challenge.params, name)) challenge.params[name] = value;
      scanner.skip(/^[ \t]*/);
      const afterComma = scanner.position;
      if (scanner.read(/^,[\s,]*/) === undefined) break;
      // After a comma comes another parameter, or the next challenge's scheme.
      if (readParam(new Scanner(scanner.rest)) === undefined) {
        scanner.position = afterComma;
        break;
      }
    }
    if (scanner.position < header.length && !/^[\s,]/.test(scanner.rest)) {
      scanner.skip(/^[^,]*/); // malformed remainder of this challenge
    }
  }
}

/** The first challenge of a `WWW-Authenticate` value, or null when there is none. */
export function parseWwwAuthenticate(header: string): AuthChallenge | null {
  return parseWwwAuthenticateAll(header)[0] ?? null;
}
