import { useCallback } from 'react';
import { useNavigate } from 'react-router';

/**
 * Changes some of the page's search parameters, keeping the rest. react-router's functional
 * `setSearchParams(prev => …)` hands over the parameters of the last render, not the live URL: a
 * debounced search that fires after a switch was clicked, but before React rendered that click, put
 * the switch's old value back (a lost click, seen in CI). Reading `window.location` at the moment of
 * writing sees every navigation already made, rendered or not.
 */
export function useUpdateSearchParams(): (change: (params: URLSearchParams) => void) => void {
  const navigate = useNavigate();
  return useCallback(
    (change) => {
      const params = new URLSearchParams(window.location.search);
      change(params);
      const search = params.toString();
      void navigate({ search: search ? `?${search}` : '' }, { replace: true });
    },
    [navigate],
  );
}
