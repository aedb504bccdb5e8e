import { useId, useMemo, useState } from 'react';
import type { RegistryScope, RegistryView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Notice } from '../ui/Notice';
import { Pagination } from '../ui/Pagination';
import type { SortState } from '../ui/SortHeader';
import { DeleteRegistryDialog } from './DeleteRegistryDialog';
import { compareRegistries, type RegistrySortKey } from './registry-format';
import { useRegistries } from './registry-queries';
import { RegistryFormDialog } from './RegistryFormDialog';
import { RegistryTable } from './RegistryTable';
import { describeSyncError, syncHistoryPath } from '../sync/sync-format';
import { useSyncNow } from '../sync/sync-queries';

export const PAGE_SIZE = 20;

type DialogState =
  | { kind: 'add' }
  | { kind: 'edit'; registry: RegistryView }
  | { kind: 'delete'; registry: RegistryView }
  | null;

interface Outcome {
  text: string;
  warnings: string[];
  tone?: 'success' | 'warning' | 'info';
}

interface RegistriesPageProps {
  scope: RegistryScope;
  /** Administrators of this scope add, edit and delete; members only read. */
  canManage: boolean;
  /** Where the page sits in the Main Menu, e.g. ["Tenant Settings", "Registries"]. */
  breadcrumb: string[];
  intro: string;
}

/** The Registries page with its Helm Registries tab, for a tenant or for the system. */
export function RegistriesPage({ scope, canManage, breadcrumb, intro }: RegistriesPageProps) {
  const list = useRegistries(scope);
  const filterId = useId();
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<SortState<RegistrySortKey>>({ key: 'name', direction: 'asc' });
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState<DialogState>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const syncNow = useSyncNow(scope);
  const startSync = (registry: RegistryView) => {
    setOutcome(null);
    syncNow.mutate(registry.name, {
      onSuccess: () =>
        setOutcome({ text: `Sync of "${registry.name}" started.`, warnings: [], tone: 'info' }),
      onError: (error) =>
        setOutcome({ text: describeSyncError(registry.name, error), warnings: [], tone: 'warning' }),
    });
  };

  const isEditable = (registry: RegistryView) =>
    canManage && (scope === 'system' || registry.scope === 'tenant');

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const matching = (list.data ?? []).filter((r) => r.name.toLowerCase().includes(needle));
    const sign = sort.direction === 'asc' ? 1 : -1;
    return matching.sort(
      (a, b) => sign * compareRegistries(a, b, sort.key) || compareRegistries(a, b, 'name'),
    );
  }, [list.data, filter, sort]);

  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const currentPage = Math.min(page, pages);
  const visible = rows.slice((currentPage - 1) * PAGE_SIZE, currentPage * PAGE_SIZE);

  const onSaved = (saved: RegistryView, action: 'added' | 'updated' | 'unchanged') => {
    setDialog(null);
    const text =
      action === 'added'
        ? `Helm registry "${saved.name}" added.`
        : action === 'updated'
          ? `Helm registry "${saved.name}" saved.`
          : 'Nothing changed.';
    setOutcome({ text, warnings: saved.warnings ?? [] });
    if (action === 'added') {
      // Show the new row: clear a filter that would hide it and go to its page.
      setFilter('');
      setPage(1);
    }
  };

  const title = breadcrumb[breadcrumb.length - 1] ?? 'Registries';
  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>Main Menu</li>
          {breadcrumb.map((part) => (
            <li key={part}>{part}</li>
          ))}
        </ol>
      </nav>
      <h1>{title}</h1>
      <p className="page-intro">{intro}</p>
      <div className="tabs" role="tablist" aria-label="Registry types">
        <button
          type="button"
          role="tab"
          aria-selected="true"
          className="tab tab-active"
          id="tab-helm"
          tabIndex={0}
        >
          Helm Registries
        </button>
      </div>
      <div role="tabpanel" aria-labelledby="tab-helm" className="tab-panel">
        {outcome && (
          <Notice
            tone={outcome.tone ?? (outcome.warnings.length > 0 ? 'warning' : 'success')}
            onDismiss={() => setOutcome(null)}
          >
            <p>{outcome.text}</p>
            {outcome.warnings.length > 0 && (
              <>
                <p>The registry was saved with these warnings:</p>
                <ul className="warnings">
                  {outcome.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              </>
            )}
          </Notice>
        )}
        <div className="toolbar">
          <div className="filter">
            <label htmlFor={filterId}>Filter by name</label>
            <input
              id={filterId}
              type="search"
              value={filter}
              placeholder="Registry name"
              onChange={(e) => {
                setFilter(e.currentTarget.value);
                setPage(1);
              }}
            />
          </div>
          {canManage && (
            <Button variant="primary" onClick={() => setDialog({ kind: 'add' })}>
              Add New Helm Registry
            </Button>
          )}
        </div>
        {list.isPending ? (
          <Loading label="Loading registries…" />
        ) : list.isError ? (
          <ErrorMessage
            title="Could not load the registries"
            error={list.error}
            onRetry={() => void list.refetch()}
            retrying={list.isFetching}
          />
        ) : rows.length === 0 ? (
          <p className="empty">
            {filter.trim()
              ? `No registry name contains "${filter.trim()}".`
              : canManage
                ? 'No Helm registries yet. Add one to make its charts available for cluster profiles.'
                : 'No Helm registries yet.'}
          </p>
        ) : (
          <>
            <RegistryTable
              registries={visible}
              sort={sort}
              onSort={(next) => {
                setSort(next);
                setPage(1);
              }}
              canManage={canManage}
              isEditable={isEditable}
              onEdit={(registry) => setDialog({ kind: 'edit', registry })}
              onDelete={(registry) => setDialog({ kind: 'delete', registry })}
              onSyncNow={startSync}
              startingSync={syncNow.isPending ? (syncNow.variables ?? null) : null}
              historyHref={(registry) => syncHistoryPath(scope, registry.name)}
              caption="Helm registries"
            />
            <Pagination
              page={currentPage}
              pageSize={PAGE_SIZE}
              total={rows.length}
              onPage={setPage}
              noun="registries"
            />
          </>
        )}
      </div>

      {dialog?.kind === 'add' && (
        <RegistryFormDialog scope={scope} onClose={() => setDialog(null)} onSaved={onSaved} />
      )}
      {dialog?.kind === 'edit' && (
        <RegistryFormDialog
          scope={scope}
          registry={dialog.registry}
          onClose={() => setDialog(null)}
          onSaved={onSaved}
        />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteRegistryDialog
          scope={scope}
          registry={dialog.registry}
          onClose={() => setDialog(null)}
          onDeleted={(registry) => {
            setDialog(null);
            setOutcome({ text: `Helm registry "${registry.name}" deleted.`, warnings: [] });
          }}
        />
      )}
    </section>
  );
}
