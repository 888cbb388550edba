// Who hears of the broker's calls to its security modules (the metrics: calls, latency, failures
// per module and action). The calls come at logon and at entitlement-cache misses, never per
// message; without an observer nothing is timed.
import { isPromiseLike } from './decision.js';
import type { MaybePromise } from './module-types.js';

/** `action`: `authenticate` for authentication modules; the entitlement action (`logon`, `read`, `write`, `admin`) otherwise. */
export interface ModuleCallObserver {
  /** A call is being made. */
  called(module: string, action: string): void;
  /** The module answered (whatever it answered), after `seconds`; also a late answer after its deadline. */
  answered(module: string, action: string, seconds: number): void;
  /** The call threw, rejected, timed out or answered nonsense: the broker denied or refused. */
  failed(module: string, action: string): void;
}

/** `call()`, told to `observer` (called, and answered with its duration); a throw or rejection passes through for the caller to count. */
export function observedCall<T>(
  observer: ModuleCallObserver,
  module: string,
  action: string,
  call: () => MaybePromise<T>,
): MaybePromise<T> {
  observer.called(module, action);
  const started = performance.now();
  const answer = call();
  if (!isPromiseLike(answer)) {
    observer.answered(module, action, (performance.now() - started) / 1000);
    return answer;
  }
  return Promise.resolve(answer).then((value) => {
    observer.answered(module, action, (performance.now() - started) / 1000);
    return value;
  });
}

/** One observer that tells each of `observers` (the metrics and the console); null when there is none. */
export function everyObserver(...observers: (ModuleCallObserver | null)[]): ModuleCallObserver | null {
  const present = observers.filter((o): o is ModuleCallObserver => o !== null);
  if (present.length <= 1) return present[0] ?? null;
  return {
    called: (module, action) => {
      for (const o of present) o.called(module, action);
    },
    answered: (module, action, seconds) => {
      for (const o of present) o.answered(module, action, seconds);
    },
    failed: (module, action) => {
      for (const o of present) o.failed(module, action);
    },
  };
}
