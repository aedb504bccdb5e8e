import { useEffect, useState, type ChangeEvent, type DragEvent } from 'react';
import { Link } from 'react-router';
import { Checkbox } from '../ui/Checkbox';
import { Notice } from '../ui/Notice';
import { readChartIdentity } from './chart-file';
import {
  chartPagePath,
  checkChartFile,
  describeUploadError,
  formatBytes,
  identityFromFileName,
  MAX_UPLOAD_BYTES,
  uploadedText,
  type ChartIdentity,
} from './hosted-format';
import { useUploadChart } from './hosted-queries';

interface UploadPanelProps {
  tenant: string;
  /** The hosted registry's name in the catalog, for the link to the uploaded chart. */
  registry: string;
  /** Tenant administrators may replace an existing version (`?force=true`). */
  canOverwrite: boolean;
}

type Outcome =
  { tone: 'success'; text: string; chart: ChartIdentity | null } | { tone: 'error'; text: string };

/**
 * Upload a packaged chart: drop a .tgz on the zone, or choose one with the file button (the keyboard
 * way). The archive goes as it is to the ChartMuseum API, as `helm cm-push` would send it.
 */
export function UploadPanel({ tenant, registry, canOverwrite }: UploadPanelProps) {
  const upload = useUploadChart(tenant);
  const [force, setForce] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [uploading, setUploading] = useState<string | null>(null);

  // A file dropped beside the zone would make the browser leave the console to show it.
  useEffect(() => {
    const keep = (event: globalThis.DragEvent) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    };
    window.addEventListener('dragover', keep);
    window.addEventListener('drop', keep);
    return () => {
      window.removeEventListener('dragover', keep);
      window.removeEventListener('drop', keep);
    };
  }, []);

  const send = (file: File) => {
    if (upload.isPending) return;
    const refused = checkChartFile(file);
    if (refused) {
      setOutcome({ tone: 'error', text: refused });
      return;
    }
    setOutcome(null);
    setUploading(file.name);
    const overwrite = canOverwrite && force;
    const identity = readChartIdentity(file);
    upload.mutate(
      { file, force: overwrite },
      {
        onSuccess: () => {
          // ChartMuseum answers {"saved":true} only: the archive itself names the chart. mutate()'s
          // callbacks are not awaited, so this one stays synchronous; `identity` never rejects
          // (readChartIdentity answers null for an archive it cannot read).
          void identity.then((found) => {
            const chart = found ?? identityFromFileName(file.name);
            setOutcome({ tone: 'success', text: uploadedText(chart, file.name), chart });
          });
        },
        onError: (error) => setOutcome({ tone: 'error', text: describeUploadError(error, canOverwrite) }),
        onSettled: () => setUploading(null),
      },
    );
  };

  const onPick = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.currentTarget.files?.[0];
    // Let the same file be chosen again after a fix on the server side (or a refused first try).
    event.currentTarget.value = '';
    if (file) send(file);
  };

  const onDragOver = (event: DragEvent<HTMLDivElement>) => {
    if (!event.dataTransfer.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    const files = [...event.dataTransfer.files];
    if (files.length === 0) return;
    if (files.length > 1) {
      setOutcome({ tone: 'error', text: 'Drop one chart archive at a time.' });
      return;
    }
    send(files[0]!);
  };

  return (
    <section className="hosted-section" aria-labelledby="hosted-upload-title">
      <h2 id="hosted-upload-title">Upload a chart</h2>
      {outcome?.tone === 'success' && (
        <Notice tone="success" onDismiss={() => setOutcome(null)}>
          {outcome.text}{' '}
          {outcome.chart && (
            <Link to={chartPagePath(tenant, registry, outcome.chart.name, outcome.chart.version)}>
              View the chart
            </Link>
          )}
        </Notice>
      )}
      {outcome?.tone === 'error' && (
        <div className="alert alert-error" role="alert">
          <div className="alert-body">
            <strong>The chart was not uploaded</strong>
            <p>{outcome.text}</p>
          </div>
        </div>
      )}
      <div
        className={dragging ? 'dropzone dropzone-active' : 'dropzone'}
        onDragEnter={onDragOver}
        onDragOver={onDragOver}
        onDragLeave={(event) => {
          // Moving over the zone's own text and button is not leaving it.
          if (!(event.relatedTarget instanceof Node && event.currentTarget.contains(event.relatedTarget)))
            setDragging(false);
        }}
        onDrop={onDrop}
        aria-busy={upload.isPending || undefined}
      >
        <p className="dropzone-text">
          Drop a packaged chart (<span className="mono">.tgz</span>, up to {formatBytes(MAX_UPLOAD_BYTES)})
          here, or
        </p>
        <label
          className={
            upload.isPending ? 'btn btn-primary file-button is-disabled' : 'btn btn-primary file-button'
          }
        >
          Choose a chart archive…
          <input
            type="file"
            accept=".tgz,application/gzip,application/x-gzip,application/x-compressed-tar"
            className="visually-hidden"
            disabled={upload.isPending}
            onChange={onPick}
          />
        </label>
        {uploading && (
          <p className="loading" role="status">
            <span className="spinner" aria-hidden="true" />
            Uploading {uploading}…
          </p>
        )}
      </div>
      {canOverwrite && (
        <Checkbox
          label="Overwrite an existing version"
          checked={force}
          onChange={setForce}
          hint="Versions are immutable for members. As an administrator you may replace one: clients that already pulled it keep the old content."
        />
      )}
    </section>
  );
}
