// Binding a node server (net, http, https, tls) to its address, as every Warden listener does:
// an `error` before `listening` rejects with a message naming the listener, not an unhandled event.
import type { AddressInfo, Server } from 'node:net';

/** Listen on host:port; resolves with the bound port (the OS's choice for port 0). `what` names the listener in the error. */
export function listenOn(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(new Error(`${what} cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** `host:port` as a URL writes it: an IPv6 host in brackets. */
export function urlAuthority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
