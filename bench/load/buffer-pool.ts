// Copies of a pre-encoded template buffer for a publisher's writes. A buffer handed to
// `socket.write` belongs to the socket until its write callback runs, so it is only patched
// (timestamp, packet id) again after `release`: reuse without copying per write.
export class BufferPool {
  private readonly free: Buffer[] = [];
  allocated = 0;

  constructor(private readonly template: Buffer) {}

  get(): Buffer {
    const b = this.free.pop();
    if (b !== undefined) return b;
    this.allocated++;
    return Buffer.from(this.template);
  }

  release(b: Buffer): void {
    this.free.push(b);
  }
}
