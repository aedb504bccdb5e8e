import { useId, useState, type FormEvent } from 'react';
import type { ClusterView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { RELEASE_VALUES_CHOICES, releaseValuesLabel, type ReleaseValuesMode } from './discovery-model';
import { useUpdateCluster } from './cluster-queries';

/** What discovery keeps of each release's values: administrators change it, members read it. */
export function ReleaseValuesSetting({
  tenant,
  cluster,
  canManage,
}: {
  tenant: string;
  cluster: Pick<ClusterView, 'name' | 'releaseValues'>;
  canManage: boolean;
}) {
  const id = useId();
  const [mode, setMode] = useState<ReleaseValuesMode>(cluster.releaseValues);
  const [saved, setSaved] = useState(false);
  const update = useUpdateCluster(tenant, cluster.name);
  const hint = RELEASE_VALUES_CHOICES.find((c) => c.value === mode)?.hint;

  if (!canManage) {
    return (
      <dl className="facts">
        <div>
          <dt>Release values</dt>
          <dd title={RELEASE_VALUES_CHOICES.find((c) => c.value === cluster.releaseValues)?.hint}>
            {releaseValuesLabel(cluster.releaseValues)}
          </dd>
        </div>
      </dl>
    );
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (update.isPending) return;
    setSaved(false);
    update.mutate({ releaseValues: mode }, { onSuccess: () => setSaved(true) });
  };

  return (
    <form className="release-values-form" noValidate onSubmit={onSubmit}>
      {update.isError && <ErrorMessage title="The setting was not saved" error={update.error} />}
      <div className="field">
        <label htmlFor={id} className="field-label">
          Release values
        </label>
        <div className="inline-controls">
          <select
            id={id}
            aria-describedby={`${id}-hint`}
            value={mode}
            disabled={update.isPending}
            onChange={(e) => {
              setSaved(false);
              setMode(e.currentTarget.value as ReleaseValuesMode);
            }}
          >
            {RELEASE_VALUES_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <Button type="submit" busy={update.isPending} disabled={mode === cluster.releaseValues}>
            Save setting
          </Button>
          {saved && mode === cluster.releaseValues && (
            <span role="status" className="muted">
              Saved.
            </span>
          )}
        </div>
        <div id={`${id}-hint`} className="field-hint">
          {hint} Applies from the next discovery.
        </div>
      </div>
    </form>
  );
}
