import { useId, useState } from 'react';
import type { ChartSummary } from '../../../src/client/api-client.js';
import { useChart } from '../charts/chart-queries';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useDeleteChartVersion } from './hosted-queries';

interface DeleteVersionDialogProps {
  tenant: string;
  chart: ChartSummary;
  onClose: () => void;
  onDeleted: (chart: string, version: string) => void;
}

/**
 * Asks before deleting one version of a hosted chart; the newest is preselected, the others can be
 * picked once the chart's versions have loaded. A failure is reported inside the dialog.
 */
export function DeleteVersionDialog({ tenant, chart, onClose, onDeleted }: DeleteVersionDialogProps) {
  const remove = useDeleteChartVersion(tenant);
  const detail = useChart(tenant, chart.registry.name, chart.name);
  const [version, setVersion] = useState(chart.latestVersion);
  const versionId = useId();
  const versions = detail.data?.versions.map((v) => v.version) ?? [chart.latestVersion];

  return (
    <ConfirmDialog
      title="Delete chart version"
      confirmLabel={`Delete version ${version}`}
      busy={remove.isPending}
      failure={remove.isError ? { title: 'The version was not deleted', error: remove.error } : null}
      onConfirm={() =>
        remove.mutate({ chart: chart.name, version }, { onSuccess: () => onDeleted(chart.name, version) })
      }
      onClose={onClose}
    >
      <p className="confirm-text">
        Delete a version of <strong className="break-anywhere">{chart.name}</strong> from the hosted registry?
      </p>
      <div className="field">
        <label htmlFor={versionId} className="field-label">
          Version
        </label>
        <select
          id={versionId}
          value={version}
          disabled={remove.isPending}
          onChange={(e) => setVersion(e.currentTarget.value)}
        >
          {versions.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </div>
      <p>
        helm clients can no longer pull it, over either protocol, and cluster profiles that use it must move
        to another version. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
