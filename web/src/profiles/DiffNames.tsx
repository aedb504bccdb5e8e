interface DiffNamesProps {
  label: string;
  added: readonly string[];
  removed: readonly string[];
  changed?: readonly string[];
}

/** Names added, removed (and changed), or "No changes". */
export function DiffNames({ label, added, removed, changed = [] }: DiffNamesProps) {
  if (added.length + removed.length + changed.length === 0)
    return <p className="empty">No {label.toLowerCase()} added, removed or changed.</p>;
  const groups: [string, readonly string[]][] = [
    ['Added', added],
    ['Removed', removed],
    ['Changed', changed],
  ];
  return (
    <dl className="diff-names" aria-label={label}>
      {groups
        .filter(([, names]) => names.length > 0)
        .map(([title, names]) => (
          <div key={title} className={`diff-${title.toLowerCase()}`}>
            <dt>{title}</dt>
            <dd>
              {names.map((n) => (
                <span key={n} className="mono diff-name">
                  {n}
                </span>
              ))}
            </dd>
          </div>
        ))}
    </dl>
  );
}
