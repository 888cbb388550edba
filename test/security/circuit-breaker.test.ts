// The circuit breaker on a hand-moved clock: it opens after N consecutive failures, refuses at
// once while open, lets one probe through per interval, and closes when the service answers.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitOptions } from '../../server/security/circuit-breaker.js';

function breaker(options: CircuitOptions | null = { failures: 3, probeIntervalMs: 1000 }) {
  const clock = { now: 1_000_000 };
  const events: string[] = [];
  const circuit = new CircuitBreaker(options, () => clock.now, {
    opened: (failures, reason) => events.push(`opened after ${failures}: ${reason}`),
    closed: (openMs, refused, failures) =>
      events.push(`closed after ${openMs} ms, ${refused} refused, ${failures} failures`),
  });
  return { circuit, clock, events };
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, and then refuses at once', () => {
    const { circuit, events } = breaker();
    for (let i = 1; i <= 2; i++) {
      expect(circuit.admit()).toBe('call');
      circuit.failed('call', `failure ${i}`);
      expect(circuit.state).toBe('closed');
    }
    expect(circuit.admit()).toBe('call');
    circuit.failed('call', 'ECONNREFUSED');
    expect(circuit.state).toBe('open');
    expect(events).toEqual(['opened after 3: ECONNREFUSED']);
    expect(circuit.opens).toBe(1);
    expect(circuit.admit()).toBeNull();
    expect(circuit.admit()).toBeNull();
    expect(circuit.refusals).toBe(2);
    expect(circuit.lastFailure).toBe('ECONNREFUSED');
  });

  it('an answer between failures starts the count again; a clear answer is an answer', () => {
    const { circuit } = breaker();
    circuit.failed(circuit.admit()!, 'a');
    circuit.failed(circuit.admit()!, 'b');
    circuit.admit();
    circuit.succeeded();
    expect(circuit.consecutiveFailures).toBe(0);
    circuit.failed(circuit.admit()!, 'c');
    circuit.failed(circuit.admit()!, 'd');
    expect(circuit.state).toBe('closed');
    expect(circuit.consecutiveFailures).toBe(2);
  });

  it('lets one probe through once the interval has passed, not a millisecond before', () => {
    const { circuit, clock } = breaker();
    for (let i = 0; i < 3; i++) circuit.failed(circuit.admit()!, 'down');
    clock.now += 999;
    expect(circuit.admit()).toBeNull();
    clock.now += 1;
    expect(circuit.admit()).toBe('probe');
    expect(circuit.state).toBe('half-open');
    // One probe at a time: the others are refused while it is out.
    expect(circuit.admit()).toBeNull();
    expect(circuit.admit()).toBeNull();
  });

  it('a failed probe keeps it open for another interval; an answered one closes it', () => {
    const { circuit, clock, events } = breaker();
    for (let i = 0; i < 3; i++) circuit.failed(circuit.admit()!, 'down');
    clock.now += 1000;
    circuit.failed(circuit.admit()!, 'still down');
    expect(circuit.state).toBe('open');
    expect(circuit.opens).toBe(1); // reopening after a probe is not a new opening
    clock.now += 500;
    expect(circuit.admit()).toBeNull();
    clock.now += 500;
    expect(circuit.admit()).toBe('probe');
    circuit.succeeded();
    expect(circuit.state).toBe('closed');
    expect(circuit.consecutiveFailures).toBe(0);
    expect(events).toEqual(['opened after 3: down', 'closed after 2000 ms, 1 refused, 4 failures']);
    expect(circuit.admit()).toBe('call');
  });

  it('a call that went out before the circuit opened neither re-arms nor counts as a probe', () => {
    const { circuit, clock, events } = breaker();
    const early = circuit.admit()!;
    for (let i = 0; i < 3; i++) circuit.failed(circuit.admit()!, 'down');
    clock.now += 400;
    circuit.failed(early, 'late failure');
    clock.now += 600;
    // The interval still runs from the opening.
    expect(circuit.admit()).toBe('probe');
    // An early call answering while the probe is out closes it: the service answers again.
    circuit.succeeded();
    expect(circuit.state).toBe('closed');
    expect(events).toHaveLength(2);
  });

  it('with no circuit (circuit: false) every call goes out, and failures are only counted', () => {
    const { circuit, events } = breaker(null);
    for (let i = 0; i < 100; i++) circuit.failed(circuit.admit()!, 'down');
    expect(circuit.state).toBe('closed');
    expect(circuit.admit()).toBe('call');
    expect(circuit.consecutiveFailures).toBe(100);
    expect(events).toEqual([]);
  });
});
