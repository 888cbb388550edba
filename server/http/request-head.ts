// The three headers HTTP publish reads, found in req.rawHeaders: Node builds req.headers (an
// object of every header) on first use, which costs more than everything else the route checks.
// The first of each wins, as in req.headers (Node discards repeats of these three).
import type { IncomingMessage } from 'node:http';

export class RequestHead {
  authorization: string | undefined = undefined;
  contentType: string | undefined = undefined;
  contentLength: string | undefined = undefined;

  /** Read `req`'s; one RequestHead per connection, read again for each request. */
  read(req: IncomingMessage): this {
    this.authorization = undefined;
    this.contentType = undefined;
    this.contentLength = undefined;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      // By length first: most names are none of the three, and need no lower-case copy.
      if (name.length === 13) {
        if (this.authorization === undefined && name.toLowerCase() === 'authorization') this.authorization = raw[i + 1];
      } else if (name.length === 12) {
        if (this.contentType === undefined && name.toLowerCase() === 'content-type') this.contentType = raw[i + 1];
      } else if (name.length === 14) {
        if (this.contentLength === undefined && name.toLowerCase() === 'content-length')
          this.contentLength = raw[i + 1];
      }
    }
    return this;
  }

  /** The declared body length, NaN without one. */
  get declaredLength(): number {
    return this.contentLength === undefined ? Number.NaN : Number(this.contentLength);
  }
}
