export type SortDirection = 'asc' | 'desc';

export interface SortState<K extends string> {
  key: K;
  direction: SortDirection;
}

interface SortHeaderProps<K extends string> {
  label: string;
  column: K;
  sort: SortState<K>;
  onSort: (sort: SortState<K>) => void;
  className?: string;
}

/** A column header that sorts on click (Enter/Space too) and tells screen readers how it is sorted. */
export function SortHeader<K extends string>({ label, column, sort, onSort, className }: SortHeaderProps<K>) {
  const active = sort.key === column;
  const next: SortDirection = active && sort.direction === 'asc' ? 'desc' : 'asc';
  return (
    <th
      scope="col"
      className={className}
      aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" className="sort-button" onClick={() => onSort({ key: column, direction: next })}>
        {label}
        <span className={active ? 'sort-icon sort-icon-active' : 'sort-icon'} aria-hidden="true">
          {active ? (sort.direction === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}
