import { useProfiles } from '../profiles/profile-queries';
import { Button } from '../ui/Button';
import { ErrorMessage } from '../ui/ErrorMessage';
import { AssignmentFields } from './AssignmentFields';
import {
  emptyAssignment,
  moveAssignment,
  type AssignmentForm,
  type ClusterErrors,
} from './cluster-form-model';

/** A change to the list, given the latest list: returning the same list means "nothing changed". */
export type AssignmentsChange = (change: (list: AssignmentForm[]) => AssignmentForm[]) => void;

interface AssignmentsEditorProps {
  tenant: string;
  assignments: readonly AssignmentForm[];
  errors: ClusterErrors['profiles'];
  onChange: AssignmentsChange;
}

/** The profiles a cluster gets, in install order, each with its version and variable values. */
export function AssignmentsEditor({ tenant, assignments, errors, onChange }: AssignmentsEditorProps) {
  const profiles = useProfiles(tenant);
  const taken = new Set(assignments.map((a) => a.profile).filter(Boolean));
  return (
    <>
      {profiles.isError && <ErrorMessage title="Could not load the profiles" error={profiles.error} />}
      {assignments.length === 0 && <p className="empty">No profiles assigned.</p>}
      <ol className="layer-list">
        {assignments.map((a, index) => (
          <li key={a.key}>
            <AssignmentFields
              tenant={tenant}
              assignment={a}
              index={index}
              count={assignments.length}
              profiles={profiles.data ?? []}
              taken={taken}
              errors={errors[index]}
              onChange={(change) =>
                onChange((list) => {
                  const i = list.findIndex((x) => x.key === a.key);
                  const old = list[i];
                  if (!old) return list;
                  const next = change(old);
                  return next === old ? list : list.map((x, j) => (j === i ? next : x));
                })
              }
              onMove={(by) =>
                onChange((list) =>
                  moveAssignment(
                    list,
                    list.findIndex((x) => x.key === a.key),
                    by,
                  ),
                )
              }
              onRemove={() => onChange((list) => list.filter((x) => x.key !== a.key))}
            />
          </li>
        ))}
      </ol>
      <Button onClick={() => onChange((list) => [...list, emptyAssignment()])}>Add profile</Button>
    </>
  );
}
