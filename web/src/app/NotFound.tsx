import { Link } from 'react-router';
import { usePageTitle } from './page-title';

export function NotFound() {
  usePageTitle('Page not found');
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>There is nothing at this address. It may have been mistyped, or the page has moved.</p>
      <p>
        <Link to="/">Go to the start page</Link>
      </p>
    </section>
  );
}
