import { useState, type FormEvent } from 'react';
import type { ClusterView, DiscoveryRunView } from '../../../src/client/api-client.js';
import { Field } from '../ui/Field';
import { FormDialog } from '../ui/FormDialog';
import { simpleFormErrors } from '../ui/form-errors';
import { parseNamespaces } from './discovery-model';
import { useDiscover } from './discovery-queries';

interface DiscoverDialogProps {
  tenant: string;
  cluster: Pick<ClusterView, 'name' | 'mode'>;
  onClose: () => void;
  onStarted: (run: DiscoveryRunView) => void;
}

/** "Discover now": every namespace, or the ones named; an agent cluster's agent does it at its next heartbeat. */
export function DiscoverDialog({ tenant, cluster, onClose, onStarted }: DiscoverDialogProps) {
  const [text, setText] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [summary, setSummary] = useState<string | null>(null);
  const discover = useDiscover(tenant, cluster.name);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (discover.isPending) return;
    const parsed = parseNamespaces(text);
    if ('error' in parsed) {
      setFieldError(parsed.error);
      setSummary(null);
      return;
    }
    setFieldError(undefined);
    setSummary(null);
    discover.mutate(parsed.namespaces, {
      onSuccess: (reply) => onStarted(reply.run),
      onError: (error) => {
        const errors = simpleFormErrors(error, ['namespaces']);
        setFieldError(errors.fields.namespaces);
        setSummary(errors.summary?.replace('Nothing was saved.', 'No discovery was started.') ?? null);
      },
    });
  };

  return (
    <FormDialog
      title="Discover releases"
      onClose={onClose}
      onSubmit={onSubmit}
      pending={discover.isPending}
      summary={summary}
      submitLabel="Discover now"
    >
      <p>
        Reads the Helm releases installed in <strong className="break-anywhere">{cluster.name}</strong>{' '}
        (Helm's release Secrets and ConfigMaps) and matches their charts with the catalog.{' '}
        {cluster.mode === 'agent'
          ? 'The agent does it at its next heartbeat, when it runs with --kubeconfig.'
          : 'The server does it now, with the cluster\u2019s kubeconfig.'}
      </p>
      <Field
        label="Namespaces"
        note="optional"
        hint="Separated by commas or spaces. Leave empty for every namespace."
        error={fieldError}
      >
        {(control) => (
          <input
            {...control}
            name="namespaces"
            autoComplete="off"
            spellCheck={false}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            data-autofocus
          />
        )}
      </Field>
    </FormDialog>
  );
}
