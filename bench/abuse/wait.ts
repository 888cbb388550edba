// Bounded waits for attacks: poll a condition until it holds, the broker exits, or time runs out.
import type { AttackContext } from './attack.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every intervalMs; true once it holds, false on timeout or when the broker has exited. */
export async function waitUntil(
  ctx: AttackContext,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (!ctx.alive() || Date.now() >= deadline) return false;
    await Promise.race([sleep(intervalMs), ctx.brokerExited]);
  }
}

/** Waits until the broker's counter `name` reaches `atLeast`; false on timeout or exit. */
export function waitForCounter(ctx: AttackContext, name: string, atLeast: number, timeoutMs: number): Promise<boolean> {
  return waitUntil(ctx, async () => ((await ctx.stats(2_000))?.[name] ?? 0) >= atLeast, timeoutMs, 100);
}
