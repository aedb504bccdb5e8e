import { isRouteErrorResponse, useRouteError } from 'react-router';
import { FailurePanel } from './FailurePanel';
import { NotFound } from './NotFound';

/** React Router's error element: its default one prints a stack trace, ours speaks to the user. */
export function RouteError() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFound />;
  console.error('Charthouse route error', error);
  return <FailurePanel error={error} />;
}
