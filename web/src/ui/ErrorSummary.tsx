/**
 * The top of a refused write: how many problems, each in words. The messages name what they are about
 * (a layer, a profile, a variable), and the fields themselves are highlighted by the form.
 */
export function ErrorSummary({ messages }: { messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <div className="alert alert-error" role="alert">
      <div className="alert-body">
        <strong>
          Nothing was saved: {messages.length === 1 ? '1 problem' : `${messages.length} problems`}. Correct
          the highlighted fields.
        </strong>
        <ul className="error-list">
          {messages.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      </div>
    </div>
  );
}
