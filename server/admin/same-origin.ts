// Cross-site request forgery, refused for every request that changes something: a browser tells
// where a request comes from (Origin, Sec-Fetch-Site), and a page of another site may not act here,
// whether it rides on the console's cookie or on Basic credentials the browser remembers.
// Clients that are not browsers (curl, `warden admin`) send neither header and are not affected.
import type { IncomingHttpHeaders } from 'node:http';

/** Why the request comes from another site, or null when nothing says it does. */
export function crossSiteReason(headers: IncomingHttpHeaders): string | null {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `the request came from another site (Sec-Fetch-Site: ${site.slice(0, 32)})`;
  const origin = headers.origin;
  if (origin === undefined) return null;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return 'the request came from another origin (Origin is not a URL)';
  }
  // Behind a proxy the scheme may differ (https outside, http here); the host the browser used may not.
  if (host !== headers.host) return `the request came from another origin (${origin.slice(0, 128)})`;
  return null;
}
