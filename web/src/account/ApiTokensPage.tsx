import { useState } from 'react';
import type { IssuedTokenView, TokenView } from '../../../src/client/api-client.js';
import { usePageTitle } from '../app/page-title';
import { formatDate } from '../registries/registry-format';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Loading } from '../ui/Loading';
import { Notice } from '../ui/Notice';
import { ActionTable } from '../ui/ActionTable';
import { Truncate } from '../ui/Truncate';
import { CreateTokenForm } from './CreateTokenForm';
import { NewTokenPanel } from './NewTokenPanel';
import { RevokeTokenDialog } from './RevokeTokenDialog';
import { useTokens } from './token-queries';

/**
 * Account > API tokens: personal tokens for CI, the CLI (CHARTHOUSE_TOKEN) and helm or OCI logins
 * (as the password). Created with an expiry, shown once, listed without their secret, revoked at once.
 */
export function ApiTokensPage() {
  usePageTitle('API tokens');
  const tokens = useTokens();
  const [issued, setIssued] = useState<IssuedTokenView | null>(null);
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>Account</li>
          <li>API tokens</li>
        </ol>
      </nav>
      <h1>API tokens</h1>
      <p className="page-intro">
        A personal token acts as you: for CI, the charthouse CLI (CHARTHOUSE_TOKEN), and as the password of
        helm and OCI logins. Give each use its own token, and revoke the ones you no longer need.
      </p>
      {message && (
        <Notice tone="success" onDismiss={() => setMessage(null)}>
          {message}
        </Notice>
      )}
      {issued ? (
        <NewTokenPanel issued={issued} onDone={() => setIssued(null)} />
      ) : (
        <CreateTokenForm
          onCreated={(t) => {
            setMessage(null);
            setIssued(t);
          }}
        />
      )}
      {tokens.isPending ? (
        <Loading label="Loading tokens…" />
      ) : tokens.isError ? (
        <ErrorMessage
          title="Could not load your tokens"
          error={tokens.error}
          onRetry={() => void tokens.refetch()}
          retrying={tokens.isFetching}
        />
      ) : tokens.data.items.length === 0 ? (
        <p className="empty">No API tokens yet.</p>
      ) : (
        <ActionTable
          label="API tokens"
          caption="Your API tokens"
          columns={['Name', 'Created', 'Last used', 'Expires']}
        >
          {tokens.data.items.map((t) => (
            <tr key={t.id}>
              <th scope="row">
                <Truncate text={t.name} />
              </th>
              <td>{formatDate(t.createdAt)}</td>
              <td>{t.lastUsedAt ? formatDate(t.lastUsedAt) : 'never'}</td>
              <td>{t.expiresAt ? formatDate(t.expiresAt) : 'never'}</td>
              <td className="cell-actions">
                <Button
                  className="btn-small"
                  variant="ghost"
                  onClick={() => {
                    setMessage(null);
                    setRevoking(t);
                  }}
                  aria-label={`Revoke ${t.name}`}
                >
                  Revoke
                </Button>
              </td>
            </tr>
          ))}
        </ActionTable>
      )}
      {revoking && (
        <RevokeTokenDialog
          token={revoking}
          onClose={() => setRevoking(null)}
          onRevoked={(t) => {
            setRevoking(null);
            setMessage(`The token "${t.name}" was revoked.`);
          }}
        />
      )}
    </section>
  );
}
