import type { SyncedChartView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { Dialog } from '../ui/Dialog';
import { ErrorMessage } from '../ui/ErrorMessage';
import { useSyncReleases } from './discovery-queries';

interface SyncReleasesDialogProps {
  tenant: string;
  name: string;
  onClose: () => void;
  onSynced: (items: SyncedChartView[]) => void;
}

/** Asks before "Sync discovered charts": it publishes into the tenant's hosted registry. */
export function SyncReleasesDialog({ tenant, name, onClose, onSynced }: SyncReleasesDialogProps) {
  const sync = useSyncReleases(tenant, name);
  return (
    <Dialog title="Sync discovered charts" onClose={onClose}>
      <div className="dialog-body">
        {sync.isError && <ErrorMessage title="The charts were not synced" error={sync.error} />}
        <p>
          Every chart the last discovery of <strong className="break-anywhere">{name}</strong> found that no
          registry has with the same content is rebuilt from the chart stored in its release and pushed to
          this tenant's hosted registry, marked <em>reconstructed</em>.
        </p>
        <ul>
          <li>Its digest cannot equal the original archive's.</li>
          <li>Subcharts are not stored in a release: a chart that declares them is rebuilt without them.</li>
          <li>A version the hosted registry already holds with other content is never overwritten.</li>
          <li>Helm 2 releases are skipped.</li>
        </ul>
      </div>
      <div className="dialog-footer">
        <Button onClick={onClose} data-autofocus>
          Cancel
        </Button>
        <Button
          variant="primary"
          busy={sync.isPending}
          onClick={() => !sync.isPending && sync.mutate(undefined, { onSuccess: (r) => onSynced(r.items) })}
        >
          Sync charts
        </Button>
      </div>
    </Dialog>
  );
}
