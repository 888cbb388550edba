// Hash routes (#/overview, ...): the server serves one page, and a reload keeps the place.
import { useEffect, useState } from 'preact/hooks';

export type Route = 'overview' | 'connections' | 'entitlements' | 'explain' | 'vhosts';

export const ROUTES: readonly { readonly route: Route; readonly label: string }[] = [
  { route: 'overview', label: 'Overview' },
  { route: 'connections', label: 'Connections' },
  { route: 'entitlements', label: 'Entitlements' },
  { route: 'explain', label: 'Explain' },
  { route: 'vhosts', label: 'Vhosts' },
];

export const href = (route: Route): string => `#/${route}`;

/** The route of a location hash; anything unknown is the overview. */
export function routeOf(hash: string): Route {
  const name = hash.replace(/^#\/?/, '');
  return ROUTES.find((r) => r.route === name)?.route ?? 'overview';
}

/** The current route, following the hash. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const follow = (): void => setRoute(routeOf(location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  return route;
}
