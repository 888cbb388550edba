// What an entitlement request asks for, reduced to one of four kinds. Any other combination of
// action and resource type is not something the broker sends; modules deny it (fail closed).
import type { EntitlementRequest } from '../module-types.js';

export type RequestKind = 'logon' | 'read' | 'write' | 'admin';

export function requestKind(request: EntitlementRequest): RequestKind | undefined {
  const { action, resourceType } = request;
  switch (resourceType) {
    case 'logon':
      return action === 'logon' ? 'logon' : undefined;
    case 'topic':
      return action === 'read' || action === 'write' ? action : undefined;
    case 'admin':
      // The admin listener sends read (GET) or write (POST); `admin` itself is accepted as well.
      return action === 'read' || action === 'write' || action === 'admin' ? 'admin' : undefined;
    default:
      return undefined;
  }
}
