// Calls to the security modules per module and action: how many, how long, how many failed.
// Observed when they happen, which is at logons and entitlement-cache misses, never per message.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ModuleCallObserver } from '../security/module-calls.js';

/** From a cached-hash check (tens of µs) to an HTTP policy service near its timeout. */
const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Labels = 'module' | 'action';

export class ModuleCallMetrics implements ModuleCallObserver {
  private readonly calls: Counter<Labels>;
  private readonly failures: Counter<Labels>;
  private readonly latency: Histogram<Labels>;

  constructor(registry: Registry) {
    const common = { labelNames: ['module', 'action'] as const, registers: [registry] };
    this.calls = new Counter({
      name: 'warden_module_calls_total',
      help: 'Calls to authentication (action="authenticate") and entitlement modules',
      ...common,
    });
    this.failures = new Counter({
      name: 'warden_module_failures_total',
      help: 'Module calls that threw, rejected, timed out or answered nonsense (the broker refused or denied)',
      ...common,
    });
    this.latency = new Histogram({
      name: 'warden_module_call_duration_seconds',
      help: 'How long module calls took to answer (late answers after a timeout included)',
      buckets: LATENCY_BUCKETS,
      ...common,
    });
  }

  called(module: string, action: string): void {
    this.calls.inc({ module, action });
  }

  answered(module: string, action: string, seconds: number): void {
    this.latency.observe({ module, action }, seconds);
  }

  failed(module: string, action: string): void {
    this.failures.inc({ module, action });
  }
}
