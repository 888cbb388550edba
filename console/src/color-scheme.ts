// Light or dark, following prefers-color-scheme: canvas charts cannot use CSS variables directly,
// so they read them again (and are redrawn) when the scheme changes.
import { useEffect, useState } from 'preact/hooks';

export type Scheme = 'light' | 'dark';

const query = (): MediaQueryList => matchMedia('(prefers-color-scheme: dark)');

export function useColorScheme(): Scheme {
  const [scheme, setScheme] = useState<Scheme>(() => (query().matches ? 'dark' : 'light'));
  useEffect(() => {
    const list = query();
    const follow = (): void => setScheme(list.matches ? 'dark' : 'light');
    list.addEventListener('change', follow);
    return () => list.removeEventListener('change', follow);
  }, []);
  return scheme;
}

/** A custom property of the root element (console.css sets them per scheme). */
export function cssVariable(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}
