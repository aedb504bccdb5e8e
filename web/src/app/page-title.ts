import { useEffect } from 'react';

/** Each screen names itself in the browser tab and history ("Registries · acme · Charthouse"). */
export function usePageTitle(...parts: string[]): void {
  const title = [...parts.filter(Boolean), 'Charthouse'].join(' · ');
  useEffect(() => {
    document.title = title;
  }, [title]);
}
