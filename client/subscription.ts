// A subscription handle: the spec the client re-sends on reconnect, delivery to a handler or to an
// async iterator with a bounded buffer, and the end of the stream.
import type { FilterSyntax, SubscriptionId } from '../protocol/native.js';
import { ClientErrorCodes, WardenError } from './errors.js';
import type { Message } from './message.js';
import { TypedEmitter } from './typed-emitter.js';

/** What to subscribe to: an exact topic or MQTT wildcard filter, or a regex (RE2, searched anywhere in the topic: anchor with ^...$). */
export type SubscriptionSpec = ({ topic: string; regex?: undefined } | { regex: string; topic?: undefined }) & {
  /** Content filter, a JSONata expression such as `px > 100 and region = "EU"` (docs/filters.md). */
  filter?: string;
  /**
   * The syntax of `filter`: `'jsonata'`, or `'amps'` for an AMPS-style filter such as
   * `/px > 100 AND /region = 'EU'` (docs/filters.md, "The AMPS syntax"). Default: the broker's
   * (its content.filterSyntax, `jsonata` unless set).
   */
  filterSyntax?: FilterSyntax;
  /** Select list, such as `-/,+/sym,+/px` (docs/select-lists.md). */
  select?: string;
};

/** `client.subscribe` argument: the wire spec plus SDK-side settings. */
export type SubscribeSpec = SubscriptionSpec & {
  /**
   * Async iteration only: how many undelivered messages may wait in the buffer
   * (default DEFAULT_BUFFER_SIZE). Past it the subscription ends with BUFFER_OVERFLOW.
   */
  bufferSize?: number;
};

export const DEFAULT_BUFFER_SIZE = 1024;

export type MessageHandler = (message: Message) => void;

/** How a subscription reaches back into its client (kept narrow so this module stays independent). */
export interface SubscriptionOwner {
  /** Ends the subscription locally and, when connected, at the broker. Idempotent. */
  release(subscription: Subscription, reason?: WardenError): Promise<void>;
}

interface Waiter {
  resolve(result: IteratorResult<Message>): void;
  reject(error: unknown): void;
}

/** Events of a subscription: `end` once it ends, with why when it was not unsubscribed (e.g. ENTITLEMENT_REVOKED). */
export type SubscriptionEvents = {
  end: { readonly error: WardenError | undefined };
};

export class Subscription extends TypedEmitter<SubscriptionEvents> implements AsyncIterable<Message> {
  private ended = false;
  private endError: WardenError | undefined;
  private readonly buffer: Message[] = [];
  private readonly waiters: Waiter[] = [];
  private iterated = false;

  /** @internal Created by the client. */
  constructor(
    private readonly owner: SubscriptionOwner,
    /** The subscription id (sid) on the wire; kept across reconnects. */
    readonly id: SubscriptionId,
    readonly spec: Readonly<SubscriptionSpec>,
    private readonly handler: MessageHandler | undefined,
    private readonly bufferSize: number,
  ) {
    super();
  }

  /** False once unsubscribed, dropped (refused on resubscribe, buffer overflow) or the client closed. */
  get active(): boolean {
    return !this.ended;
  }

  /** Stops delivery and removes the subscription at the broker. Idempotent. */
  unsubscribe(): Promise<void> {
    return this.owner.release(this);
  }

  /** @internal Hands a delivered message to the handler or the iterator buffer. */
  dispatch(message: Message): void {
    if (this.ended) return;
    if (this.handler !== undefined) {
      this.handler(message);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: message, done: false });
      return;
    }
    if (this.buffer.length >= this.bufferSize) {
      // Dropping silently would hide data loss; end the stream loudly instead (the same policy
      // as the broker's slow-consumer disconnect). Messages already buffered are still yielded.
      const overflow = new WardenError(
        ClientErrorCodes.BUFFER_OVERFLOW,
        `subscription ${this.id}: more than ${this.bufferSize} messages waiting to be iterated`,
      );
      void this.owner.release(this, overflow).catch(() => {});
      return;
    }
    this.buffer.push(message);
  }

  /**
   * @internal Ends delivery. Iteration yields what is already buffered, then finishes — by
   * throwing `error` if one is given, else normally.
   */
  end(error?: WardenError): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error;
    // Waiters only exist while the buffer is empty, so settling them skips no buffered message.
    this.settleWaiters();
    this.emit('end', { error });
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    if (this.handler !== undefined) {
      throw new TypeError('a subscription with a handler cannot also be iterated');
    }
    if (this.iterated) throw new TypeError('a subscription can only be iterated once');
    this.iterated = true;
    return {
      next: () => this.next(),
      // Leaving a for-await loop (break, return, throw) means nobody reads any more: unsubscribe.
      return: async () => {
        this.buffer.length = 0;
        await this.unsubscribe().catch(() => {});
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<Message>> {
    const message = this.buffer.shift();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.ended) return this.finish();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The end of the stream: the end error once, then `done` forever. */
  private finish(): Promise<IteratorResult<Message>> {
    const error = this.endError;
    this.endError = undefined;
    return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
  }

  private settleWaiters(): void {
    for (const waiter of this.waiters.splice(0)) this.finish().then(waiter.resolve, waiter.reject);
  }
}
