import { useCallback, useState, type FormEvent } from 'react';
import { ApiError, type ClusterView } from '../../../src/client/api-client.js';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { Notice } from '../ui/Notice';
import { AssignmentsEditor, type AssignmentsChange } from './AssignmentsEditor';
import { ClusterErrorSummary } from './ClusterErrorSummary';
import {
  assignmentBody,
  assignmentsFrom,
  clusterErrors,
  noClusterErrors,
  type AssignmentForm,
  type ClusterErrors,
} from './cluster-form-model';
import { useUpdateCluster } from './cluster-queries';

/**
 * The cluster's profiles, editable (administrators). Saving sends the whole list, which replaces the
 * stored one; sensitive values left as "set (keep)" are not sent, so the server keeps them.
 */
export function AssignmentsForm({ tenant, cluster }: { tenant: string; cluster: ClusterView }) {
  const [assignments, setAssignments] = useState<AssignmentForm[]>(() => assignmentsFrom(cluster));
  const [errors, setErrors] = useState<ClusterErrors>(noClusterErrors);
  const [failure, setFailure] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const update = useUpdateCluster(tenant, cluster.name);
  const onChange = useCallback<AssignmentsChange>((change) => setAssignments(change), []);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (update.isPending) return;
    setFailure(null);
    setMessage(null);
    update.mutate(
      { profiles: assignments.map(assignmentBody) },
      {
        onSuccess: (view) => {
          setErrors(noClusterErrors());
          // Start again from what the server stored: a replaced secret is now "set", a cleared one not.
          setAssignments(assignmentsFrom(view));
          setMessage('Profiles saved. The agent gets the new plan on its next poll.');
        },
        onError: (error) => {
          if (error instanceof ApiError && error.details.length > 0) setErrors(clusterErrors(error.details));
          else {
            setErrors(noClusterErrors());
            setFailure(error);
          }
        },
      },
    );
  };

  return (
    <form className="cluster-form" noValidate onSubmit={onSubmit} aria-label="Assigned profiles">
      {message && (
        <Notice tone="success" onDismiss={() => setMessage(null)}>
          {message}
        </Notice>
      )}
      {failure !== null && <ErrorMessage title="The profiles were not saved" error={failure} />}
      <ClusterErrorSummary errors={errors} />
      {errors.general.length > 0 && (
        <ul className="error-list">
          {errors.general.map((m) => (
            <li key={m} className="field-error">
              {m}
            </li>
          ))}
        </ul>
      )}
      <fieldset disabled={update.isPending} className="plain-fieldset">
        <AssignmentsEditor
          tenant={tenant}
          assignments={assignments}
          errors={errors.profiles}
          onChange={onChange}
        />
      </fieldset>
      <div className="editor-footer">
        <Button type="submit" variant="primary" busy={update.isPending}>
          Save profiles
        </Button>
      </div>
    </form>
  );
}
