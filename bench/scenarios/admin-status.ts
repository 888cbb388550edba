// The entitlement status of a broker started by `startBrokerProcess` with its admin listener on
// (`GET /admin/entitlements`, HTTP Basic): how many times the entitlement module was called.
import type { StatusResponse } from '../../server/admin/admin-api.js';

export async function entitlementStatus(
  adminUrl: string | null,
  user: string,
  password: string,
): Promise<StatusResponse> {
  if (adminUrl === null) throw new Error('the broker was started without its admin listener');
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const res = await fetch(`${adminUrl}/admin/entitlements`, {
    headers: { authorization },
    signal: AbortSignal.timeout(5_000),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${adminUrl}/admin/entitlements: ${res.status} ${body}`);
  return JSON.parse(body) as StatusResponse;
}
