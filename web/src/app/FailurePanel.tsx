import { describeError } from '../ui/describe-error';

/** What the user sees when a screen crashed: what happened, and reload / start over. */
export function FailurePanel({ error }: { error: unknown }) {
  return (
    <div className="failure-panel" role="alert">
      <h1>Something went wrong</h1>
      <p>{describeError(error)}</p>
      <p>Reload the page to try again. If it keeps happening, tell your administrator what you were doing.</p>
      <div className="actions">
        <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
          Reload page
        </button>
        <a className="btn btn-secondary" href="/">
          Go to the start page
        </a>
      </div>
    </div>
  );
}
