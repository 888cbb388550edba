// What the harness and the broker child say to each other over the IPC channel.

export interface ChildRequest {
  /** `reset-delay` forgets the event-loop delays so far (before an attack); both answer a probe. */
  type: 'probe' | 'reset-delay';
  seq: number;
}

export type ChildReply =
  | { type: 'ready'; listeners: { name: string; url: string }[] }
  | { type: 'probe'; seq: number; rssBytes: number; maxBlockMs: number; stats: Readonly<Record<string, number>> };
