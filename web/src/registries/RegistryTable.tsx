import { Link, useParams } from 'react-router';
import type { RegistryView } from '../../../src/client/api-client.js';
import { canSync } from '../sync/sync-format';
import { Button } from '../ui/Button';
import { SortHeader, type SortState } from '../ui/SortHeader';
import { Truncate } from '../ui/Truncate';
import {
  endpointText,
  formatDate,
  KIND_LABELS,
  lastSyncedText,
  STATUS_HINTS,
  STATUS_LABELS,
  type RegistrySortKey,
} from './registry-format';

interface RegistryTableProps {
  registries: RegistryView[];
  sort: SortState<RegistrySortKey>;
  onSort: (sort: SortState<RegistrySortKey>) => void;
  /** Show the Actions column (administrators of this scope). */
  canManage: boolean;
  /** Rows the user may change: system registries are read-only inside a tenant. */
  isEditable: (registry: RegistryView) => boolean;
  onEdit: (registry: RegistryView) => void;
  onDelete: (registry: RegistryView) => void;
  /** "Sync now"; the row shows the button only where the user may change the registry. */
  onSyncNow: (registry: RegistryView) => void;
  /** The registry whose "Sync now" request is in flight. */
  startingSync: string | null;
  /** Where a registry's sync history lives (members may read it). */
  historyHref: (registry: RegistryView) => string;
  caption: string;
}

export function RegistryTable(props: RegistryTableProps) {
  const { registries, sort, onSort, canManage, isEditable, onEdit, onDelete, caption } = props;
  const { onSyncNow, startingSync, historyHref } = props;
  const header = (label: string, column: RegistrySortKey, className?: string) => (
    <SortHeader label={label} column={column} sort={sort} onSort={onSort} className={className} />
  );
  return (
    // The scroll box keeps a narrow window from squeezing columns into unreadable slivers; it is
    // focusable so keyboard users can scroll it too.
    <div className="table-scroll" tabIndex={0} role="region" aria-label={caption}>
      <table className="data-table registry-table">
        <caption className="visually-hidden">{caption}</caption>
        <colgroup>
          <col className="col-name" />
          <col className="col-endpoint" />
          <col className="col-kind" />
          <col className="col-protected" />
          <col className="col-auth" />
          <col className="col-synced" />
          <col className="col-status" />
          <col className="col-charts" />
          {canManage && <col className="col-actions" />}
        </colgroup>
        <thead>
          <tr>
            {header('Name', 'name')}
            {header('Endpoint', 'endpoint')}
            {header('Kind', 'kind')}
            {header('Protected', 'protected')}
            {header('Authentication', 'auth')}
            {header('Last Synced', 'lastSynced')}
            {header('Status', 'status')}
            {header('Charts', 'charts', 'numeric')}
            {canManage && (
              <th scope="col" className="actions-header">
                Actions
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {registries.map((registry) => (
            <RegistryRow
              key={registry.id}
              registry={registry}
              canManage={canManage}
              editable={isEditable(registry)}
              onEdit={onEdit}
              onDelete={onDelete}
              onSyncNow={onSyncNow}
              starting={startingSync === registry.name}
              historyHref={historyHref(registry)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface RowProps {
  registry: RegistryView;
  canManage: boolean;
  editable: boolean;
  onEdit: (registry: RegistryView) => void;
  onDelete: (registry: RegistryView) => void;
  onSyncNow: (registry: RegistryView) => void;
  starting: boolean;
  historyHref: string;
}

function RegistryRow(props: RowProps) {
  const { registry, canManage, editable, onEdit, onDelete, onSyncNow, starting, historyHref } = props;
  const lastSynced = lastSyncedText(registry);
  const syncable = canSync(registry);
  const syncing = registry.syncStatus === 'syncing';
  const tenant = useParams().tenant;
  return (
    <tr data-registry={registry.name}>
      <th scope="row" className="cell-name">
        <Truncate text={registry.name} />
        {registry.scope === 'system' && (
          <span className="badge badge-system" title="A system registry: every tenant sees it">
            System
          </span>
        )}
      </th>
      <td className="cell-endpoint">
        <span className="clamp-2 mono" title={endpointText(registry, window.location.origin)}>
          {endpointText(registry, window.location.origin)}
        </span>
      </td>
      <td>{KIND_LABELS[registry.kind]}</td>
      <td>{registry.protected ? 'Yes' : 'No'}</td>
      <td>
        {registry.auth.type === 'none' ? (
          'None'
        ) : (
          <>
            Basic
            <Truncate text={registry.auth.username ?? ''} className="sub" />
          </>
        )}
      </td>
      <td className="cell-synced">
        {registry.lastSyncedAt && !registry.protected ? (
          <time dateTime={registry.lastSyncedAt} title={registry.lastSyncedAt}>
            {lastSynced}
          </time>
        ) : (
          <span className="muted">{lastSynced}</span>
        )}
        {syncable && (
          <Link to={historyHref} className="sub-link" aria-label={`Sync history of ${registry.name}`}>
            History
          </Link>
        )}
      </td>
      <td className="cell-status">
        <span
          className={`badge badge-status-${registry.syncStatus}`}
          // A failure's reason is the most useful hint; it is also spelled out below and in the history.
          title={
            registry.syncStatus === 'failed' && registry.lastError
              ? registry.lastError
              : STATUS_HINTS[registry.syncStatus]
          }
        >
          {STATUS_LABELS[registry.syncStatus]}
        </span>
        {registry.lastError && <Truncate text={registry.lastError} className="cell-error" />}
      </td>
      <td className="numeric">
        {registry.protected ? <span className="muted">n/a</span> : registry.chartCount}
      </td>
      {canManage && (
        <td className="cell-actions">
          {registry.kind === 'hosted' ? (
            // Charthouse's own store: nothing to edit or delete here; charts are managed on its page.
            tenant && registry.scope === 'tenant' ? (
              <Link
                to={`/t/${encodeURIComponent(tenant)}/hosted`}
                className="btn btn-secondary"
                aria-label={`Manage the hosted registry ${registry.name}`}
              >
                Manage
              </Link>
            ) : (
              <span className="muted" title="Charthouse's own chart store, provided to every tenant">
                Built in
              </span>
            )
          ) : editable ? (
            <div className="row-actions">
              {syncable && (
                <Button
                  variant="primary"
                  onClick={() => onSyncNow(registry)}
                  busy={starting}
                  disabled={syncing}
                  aria-label={`Sync ${registry.name} now`}
                  title={syncing ? 'A sync is running' : 'Fetch the upstream index now'}
                >
                  Sync now
                </Button>
              )}
              <Button onClick={() => onEdit(registry)} aria-label={`Edit ${registry.name}`}>
                Edit
              </Button>
              <Button
                variant="danger"
                onClick={() => onDelete(registry)}
                aria-label={`Delete ${registry.name}`}
              >
                Delete
              </Button>
            </div>
          ) : (
            <span
              className="muted"
              title={`Added ${formatDate(registry.createdAt)} by the system administrator`}
            >
              Read-only
            </span>
          )}
        </td>
      )}
    </tr>
  );
}
