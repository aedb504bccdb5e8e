import type { ProfileVersionView } from '../../../src/client/api-client.js';
import { formatDate } from '../registries/registry-format';
import { LayersTable } from './LayersTable';
import { VariablesTable } from './VariablesTable';

interface VersionReadOnlyProps {
  tenant: string;
  view: ProfileVersionView;
}

/** A version as it is: layers in install order with what they resolve to, and its variables. */
export function VersionReadOnly({ view }: VersionReadOnlyProps) {
  return (
    <>
      {view.description && <p className="page-intro">{view.description}</p>}
      <dl className="facts">
        <div>
          <dt>Created</dt>
          <dd>
            {formatDate(view.createdAt)} by {view.createdBy}
          </dd>
        </div>
        {view.publishedAt && (
          <div>
            <dt>Published</dt>
            <dd>
              {formatDate(view.publishedAt)}
              {view.publishedBy && ` by ${view.publishedBy}`}
            </dd>
          </div>
        )}
        <div>
          <dt>Updates available</dt>
          <dd>{view.updatesAvailable}</dd>
        </div>
      </dl>
      {view.status === 'published' && (
        <p className="muted">Published versions never change. Create a new version to change this profile.</p>
      )}
      <h2 className="section-title">Layers in install order</h2>
      {view.layers.length === 0 ? <p className="empty">No layers.</p> : <LayersTable view={view} />}
      <h2 className="section-title">Variables</h2>
      {view.variables.length === 0 ? (
        <p className="empty">No variables.</p>
      ) : (
        <VariablesTable variables={view.variables} />
      )}
    </>
  );
}
