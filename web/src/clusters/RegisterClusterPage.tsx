import { useCallback, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useParams } from 'react-router';
import { ApiError, type ClusterCreated } from '../../../src/client/api-client.js';
import { tenantRole, useMe } from '../app/me';
import { usePageTitle } from '../app/page-title';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Field } from '../ui/Field';
import { AgentTokenPanel } from './AgentTokenPanel';
import { AssignmentsEditor, type AssignmentsChange } from './AssignmentsEditor';
import { ClusterBreadcrumb } from './ClusterBreadcrumb';
import { ErrorSummary } from '../ui/ErrorSummary';
import {
  clusterCreateBody,
  clusterErrors,
  emptyClusterForm,
  noClusterErrors,
  type ClusterErrors,
  type ClusterForm,
} from './cluster-form-model';
import { clusterPath, clustersPath } from './cluster-paths';
import { useCreateCluster } from './cluster-queries';
import { KubeconfigField } from './KubeconfigField';
import { RELEASE_VALUES_CHOICES } from './discovery-model';

/** Clusters > Register: name, how it is reached, the profiles it gets; an agent cluster's token once. */
export function RegisterClusterPage() {
  const tenant = useParams().tenant ?? '';
  usePageTitle('Register cluster', 'Clusters', tenant);
  const { data: me } = useMe();
  const [created, setCreated] = useState<ClusterCreated | null>(null);
  const navigate = useNavigate();
  // Members cannot register: the page is not offered to them, and a typed address goes back to the list.
  if (tenantRole(me, tenant) !== 'admin') return <Navigate to={clustersPath(tenant)} replace />;

  return (
    <section className="page">
      <ClusterBreadcrumb tenant={tenant} here="Register" />
      <h1>Register cluster</h1>
      {created?.agentToken ? (
        <>
          <AgentTokenPanel
            cluster={created.cluster.name}
            token={created.agentToken}
            reason="created"
            onDone={() => void navigate(clusterPath(tenant, created.cluster.name))}
          />
          <p>
            <Link to={clusterPath(tenant, created.cluster.name)}>Open cluster {created.cluster.name}</Link>
          </p>
        </>
      ) : (
        <RegisterForm
          tenant={tenant}
          onCreated={(result) =>
            result.agentToken ? setCreated(result) : void navigate(clusterPath(tenant, result.cluster.name))
          }
        />
      )}
    </section>
  );
}

function RegisterForm({ tenant, onCreated }: { tenant: string; onCreated: (c: ClusterCreated) => void }) {
  const [form, setForm] = useState<ClusterForm>(emptyClusterForm);
  const [errors, setErrors] = useState<ClusterErrors>(noClusterErrors);
  const [failure, setFailure] = useState<unknown>(null);
  const create = useCreateCluster(tenant);
  const set = <K extends keyof ClusterForm>(key: K, value: ClusterForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const changeProfiles = useCallback<AssignmentsChange>(
    (change) =>
      setForm((f) => {
        const profiles = change(f.profiles);
        return profiles === f.profiles ? f : { ...f, profiles };
      }),
    [],
  );

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (create.isPending) return;
    setFailure(null);
    create.mutate(clusterCreateBody(form), {
      onSuccess: onCreated,
      onError: (error) => {
        if (error instanceof ApiError && error.details.length > 0) setErrors(clusterErrors(error.details));
        else {
          setErrors(noClusterErrors());
          setFailure(error);
        }
      },
    });
  };

  return (
    <form className="cluster-form" noValidate onSubmit={onSubmit}>
      {failure !== null && <ErrorMessage title="The cluster was not registered" error={failure} />}
      <ErrorSummary messages={errors.all} />
      <fieldset disabled={create.isPending} className="plain-fieldset">
        <Field
          label="Cluster name"
          hint='Lowercase letters, digits and "-", at most 63 characters.'
          error={errors.fields.name}
        >
          {(control) => (
            <input
              {...control}
              name="name"
              autoComplete="off"
              spellCheck={false}
              value={form.name}
              onChange={(e) => set('name', e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Description" note="optional" error={errors.fields.description}>
          {(control) => (
            <textarea
              {...control}
              rows={2}
              value={form.description}
              onChange={(e) => set('description', e.currentTarget.value)}
            />
          )}
        </Field>
        <fieldset className="mode-choice" aria-describedby="cluster-mode-hint">
          <legend className="field-label">How Charthouse reaches it</legend>
          <label className="radio">
            <input
              type="radio"
              name="mode"
              value="agent"
              checked={form.mode === 'agent'}
              onChange={() => set('mode', 'agent')}
            />{' '}
            Agent: <code>charthouse agent</code> runs inside the cluster's network and connects out
          </label>
          <label className="radio">
            <input
              type="radio"
              name="mode"
              value="kubeconfig"
              checked={form.mode === 'kubeconfig'}
              onChange={() => set('mode', 'kubeconfig')}
            />{' '}
            Kubeconfig: the server reaches the cluster's API itself
          </label>
          <p id="cluster-mode-hint" className="field-hint">
            Use the agent when the cluster or its registries are in a private network.
          </p>
          {errors.fields.mode && <div className="field-error">{errors.fields.mode}</div>}
        </fieldset>
        {form.mode === 'kubeconfig' && (
          <KubeconfigField
            value={form.kubeconfig}
            error={errors.fields.kubeconfig}
            onChange={(text) => set('kubeconfig', text)}
          />
        )}
        <fieldset className="mode-choice" aria-describedby="release-values-hint">
          <legend className="field-label">Release values found by discovery</legend>
          {RELEASE_VALUES_CHOICES.map((c) => (
            <label key={c.value} className="radio">
              <input
                type="radio"
                name="releaseValues"
                value={c.value}
                checked={form.releaseValues === c.value}
                onChange={() => set('releaseValues', c.value)}
              />{' '}
              <span>
                {c.label}: <span className="muted">{c.hint}</span>
              </span>
            </label>
          ))}
          <p id="release-values-hint" className="field-hint">
            Discovery reads the Helm releases already installed in the cluster, with the values users gave
            them. Choose what Charthouse keeps of those values.
          </p>
          {errors.fields.releaseValues && <div className="field-error">{errors.fields.releaseValues}</div>}
        </fieldset>
        <h2 className="section-title">Profiles</h2>
        <p className="field-hint">Installed in this order; each profile's own layers keep their order.</p>
        <AssignmentsEditor
          tenant={tenant}
          assignments={form.profiles}
          errors={errors.profiles}
          onChange={changeProfiles}
        />
      </fieldset>
      <div className="editor-footer">
        <Button type="submit" variant="primary" busy={create.isPending}>
          Register cluster
        </Button>
        <Link className="btn btn-secondary" to={clustersPath(tenant)}>
          Cancel
        </Link>
      </div>
    </form>
  );
}
