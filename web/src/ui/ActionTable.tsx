import type { ReactNode } from 'react';

interface ActionTableProps {
  /** The scrollable region's name, read by screen readers ("Members"). */
  label: string;
  caption: string;
  /** Visible column headers; a last, unnamed-on-screen "Actions" column follows them. */
  columns: readonly string[];
  /** The rows: each a <tr> whose last cell holds its buttons. */
  children: ReactNode;
}

/** A simple list table whose rows end in action buttons (members, invitations, API tokens). */
export function ActionTable({ label, caption, columns, children }: ActionTableProps) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={label}>
      <table className="data-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
