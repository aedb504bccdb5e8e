import { CommandBlock } from '../hosted/CommandBlock';
import { Button } from '../ui/Button';
import { useCopy } from '../ui/use-copy';
import { agentCommands, AGENT_TOKEN_FILE } from './cluster-form-model';

interface AgentTokenPanelProps {
  cluster: string;
  token: string;
  /** "created" after registering, "rotated" after a new token replaced the old one. */
  reason: 'created' | 'rotated';
  onDone: () => void;
}

/**
 * A cluster's agent token, shown this once (the server keeps only its hash), with the commands that
 * start the agent with it. The token goes into a file through stdin, never on a command line.
 */
export function AgentTokenPanel({ cluster, token, reason, onDone }: AgentTokenPanelProps) {
  const { ref, state, copy } = useCopy<HTMLElement>();
  const commands = agentCommands(window.location.origin);
  return (
    <section className="token-reveal agent-token" aria-labelledby="agent-token-title">
      <h2 id="agent-token-title">
        {reason === 'created' ? `Agent token for ${cluster}` : `New agent token for ${cluster}`}
      </h2>
      <p>
        <strong>Copy it now: it will not be shown again.</strong> It lets an agent read this cluster's plan,
        protected registry credentials included, and report for it.
        {reason === 'rotated' && ' The previous token stopped working.'}
      </p>
      <div className="token-reveal-row">
        <code ref={ref} aria-label="Agent token" tabIndex={0}>
          {token}
        </code>
        <Button className="btn-small" onClick={() => void copy(token)} aria-label="Copy the agent token">
          {state === 'copied' ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <span className={state === 'failed' ? 'command-copy-failed' : 'visually-hidden'} role="status">
        {state === 'copied'
          ? 'Copied the agent token to the clipboard.'
          : state === 'failed'
            ? 'The browser did not allow copying: the token is selected, press Ctrl+C to copy it.'
            : ''}
      </span>
      <ol className="commands agent-commands">
        <CommandBlock
          step={{
            id: 'save-token',
            title: `Save the token in the file ${AGENT_TOKEN_FILE}`,
            command: commands.saveToken,
            note: 'Paste the token, press Enter, then Ctrl+D. The file is readable only by you, and the token stays out of your shell history.',
          }}
        />
        <CommandBlock
          step={{
            id: 'run-agent',
            title: 'Run the agent where it can reach the cluster and its registries',
            command: commands.run,
          }}
        />
      </ol>
      <Button variant="primary" onClick={onDone}>
        Done, I saved the token
      </Button>
    </section>
  );
}
