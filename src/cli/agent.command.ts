import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { duration } from './options.js';
import { action, CliError, UsageError } from './output.js';

interface AgentOpts {
  server?: string;
  tokenFile?: string;
  once?: boolean;
  interval: number;
  workDir?: string;
  keyring?: string;
  apply?: boolean;
  kubeconfig?: string;
  discover?: boolean;
  helm: string;
}

const defaultWorkDir = (): string =>
  join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'charthouse-agent');

/**
 * `charthouse agent`: runs inside the tenant's network, connects out to Charthouse only, pulls and
 * verifies the cluster's charts (protected registries included) and with `--apply` installs them with
 * helm. The token is read from a file, never taken on the command line (process lists are public).
 */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("pull, verify and (with --apply) install a cluster's profiles, reporting to Charthouse")
    .option('--server <url>', 'the Charthouse server URL (default: CHARTHOUSE_SERVER)')
    .option('--token-file <file>', "a file holding the cluster's agent token")
    .option('--once', 'run the plan once and exit (non-zero when a layer failed)')
    .option('--interval <duration>', 'how often to poll the plan', duration, 30_000)
    .option(
      '--work-dir <dir>',
      'where the plan and verified charts are kept (default: ~/.local/state/charthouse-agent)',
    )
    .option('--keyring <file>', 'public keys (gpg --export) to check chart provenance with')
    .option('--apply', 'install the layers with helm (needs --kubeconfig)')
    .option(
      '--kubeconfig <file>',
      "the cluster's kubeconfig: to install into (--apply), and to answer discoveries of its Helm releases",
    )
    .option('--discover', "discover the cluster's Helm releases at start, unasked (needs --kubeconfig)")
    .option('--helm <path>', 'the helm binary (Helm 3 or 4)', 'helm')
    .action(
      action(async (opts: AgentOpts) => {
        const server = opts.server ?? process.env.CHARTHOUSE_SERVER;
        if (!server) throw new UsageError('give the server: --server URL (or CHARTHOUSE_SERVER)');
        if (!opts.tokenFile) throw new UsageError('give the agent token file: --token-file FILE');
        if (opts.apply && !opts.kubeconfig) throw new UsageError('--apply needs --kubeconfig FILE');
        if (opts.discover && !opts.kubeconfig) throw new UsageError('--discover needs --kubeconfig FILE');
        const token = await readToken(opts.tokenFile);
        // Loaded here: the other commands should not pay for OpenPGP and the upstream client.
        const { runAgent, AgentStoppedError } = await import('../agent/agent-loop.js');
        const { Keyring, KeyringError } = await import('../agent/provenance.js');
        let keyring = null;
        try {
          keyring = opts.keyring === undefined ? null : await Keyring.read(opts.keyring);
        } catch (err) {
          if (err instanceof KeyringError) throw new UsageError(err.message);
          throw err;
        }
        const log = (line: string): void =>
          void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
        const controller = new AbortController();
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
        try {
          const result = await runAgent({
            server,
            token,
            workDir: opts.workDir ?? defaultWorkDir(),
            keyring,
            apply: opts.apply ? { helm: opts.helm, kubeconfig: opts.kubeconfig! } : null,
            kubeconfig: opts.kubeconfig ?? null,
            discover: opts.discover === true,
            once: opts.once === true,
            intervalMs: opts.interval,
            log,
            signal: controller.signal,
          });
          if (result && !result.ok) {
            const failed = [...result.outcome.layers].filter(([, l]) => l.state === 'failed').map(([k]) => k);
            throw new CliError(
              `plan revision ${result.outcome.revision}: ${failed.length} layer(s) failed: ${failed.join(', ')}`,
            );
          }
        } catch (err) {
          if (err instanceof AgentStoppedError) throw new CliError(err.message, 3);
          throw err;
        }
      }),
    );
}

async function readToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read the token file ${file}`);
  }
  const token = text.trim();
  if (!/^cha_[A-Za-z0-9_-]{43}$/.test(token)) {
    throw new UsageError(
      `${file} does not hold an agent token (cha_…): copy the token the cluster was registered with`,
    );
  }
  if (((await stat(file)).mode & 0o077) !== 0) {
    process.stderr.write(`warning: ${file} can be read by other users; chmod 600 it\n`);
  }
  return token;
}
