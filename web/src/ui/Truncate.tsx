/**
 * One line of text cut with an ellipsis when it does not fit, the whole text in its tooltip. Registry
 * names and endpoints can be long (endpoints up to 2048 characters) and must not widen the table.
 */
export function Truncate({ text, className }: { text: string; className?: string }) {
  return (
    <span className={className ? `truncate ${className}` : 'truncate'} title={text}>
      {text}
    </span>
  );
}
