import type { ClusterErrors } from './cluster-form-model';

/** The top of a refused write: how many problems, each in words (they name their profile or variable). */
export function ClusterErrorSummary({ errors }: { errors: ClusterErrors }) {
  if (errors.all.length === 0) return null;
  return (
    <div className="alert alert-error" role="alert">
      <div className="alert-body">
        <strong>
          Nothing was saved: {errors.all.length === 1 ? '1 problem' : `${errors.all.length} problems`}.
          Correct the highlighted fields.
        </strong>
        <ul className="error-list">
          {errors.all.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      </div>
    </div>
  );
}
