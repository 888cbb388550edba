import { describe, expect, it } from 'vitest';
import { deepFreeze, defaultConfig, parseConfig } from '../../server/config/index.js';

describe('frozen configuration', () => {
  it('every level of a resolved config is frozen', () => {
    const config = parseConfig({ listeners: [{ name: 'a' }, { name: 'b', port: 0 }] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.topics)).toBe(true);
    expect(Object.isFrozen(config.listeners)).toBe(true);
    expect(Object.isFrozen(config.listeners[1])).toBe(true);
    expect(Object.isFrozen(config.listeners[1].options)).toBe(true);
  });

  it('mutation throws (ES modules run in strict mode)', () => {
    const config = defaultConfig();
    const mutable = config as { broker: { name: string }; listeners: { options: { maxFrameBytes: number } }[] };
    expect(() => {
      mutable.broker.name = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      mutable.listeners[0].options.maxFrameBytes = 1;
    }).toThrow(TypeError);
    expect(() => mutable.listeners.push(mutable.listeners[0])).toThrow(TypeError);
    expect(config.broker.name).toBe('warden');
  });

  it('each parse returns its own tree', () => {
    const a = defaultConfig();
    const b = defaultConfig();
    expect(a).toEqual(b);
    expect(a.listeners).not.toBe(b.listeners);
  });

  it('deepFreeze freezes nested objects even under an already-frozen one, and survives cycles', () => {
    const inner = { n: 1 };
    const outer = Object.freeze({ inner, list: [inner] });
    const cyclic: { self?: unknown; child: { x: number } } = { child: { x: 1 } };
    cyclic.self = cyclic;
    deepFreeze(outer);
    deepFreeze(cyclic);
    expect(Object.isFrozen(inner)).toBe(true);
    expect(Object.isFrozen(outer.list)).toBe(true);
    expect(Object.isFrozen(cyclic.child)).toBe(true);
  });

  it('deepFreeze leaves primitives and typed arrays alone', () => {
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze(null)).toBe(null);
    const bytes = new Uint8Array([1]);
    expect(deepFreeze({ bytes }).bytes).toBe(bytes);
  });
});
