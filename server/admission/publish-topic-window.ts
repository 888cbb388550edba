// A group's maxPublishTopicsPerSecond for one connection: the distinct topics it has published to
// in the current second (SwiftMQ's producers per connection, for a broker where a publish names
// its topic instead of opening a producer). Made only for connections whose group sets the limit,
// so others pay one null check per publish.
import type { Clock } from '../timers.js';

export class PublishTopicWindow {
  private second = Number.NaN;
  private readonly topics = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly clock: Clock,
  ) {}

  /** Whether a publish to `topic` is within the limit now; a topic already used this second always is. */
  admit(topic: string): boolean {
    const second = Math.floor(this.clock() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.topics.clear();
    }
    if (this.topics.has(topic)) return true;
    if (this.topics.size >= this.max) return false;
    this.topics.add(topic);
    return true;
  }
}
