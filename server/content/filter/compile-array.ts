// Array constructors `[...]`, as used by `x in ["a", "b"]` and `tags = ["a"]`. Only constant items
// are accepted, so the array is built once at compile time instead of once per message.
import { unsupportedConstruct } from './filter-error.js';
import { constantNode, type CompiledNode } from './compiled-node.js';
import type { ArrayNode } from './filter-ast.js';
import { FAULT } from './jsonata-semantics.js';

/** `items` are the compiled ArrayNode items, in order. */
export function compileArray(node: ArrayNode, items: readonly CompiledNode[]): CompiledNode {
  const values: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!item.isConstant) {
      throw unsupportedConstruct(
        'array constructor with items that depend on the message',
        node.position,
        'list literal values, e.g. x in ["a", "b"]',
      );
    }
    const value = item.constant;
    if (value === FAULT) return constantNode(FAULT);
    if (value === undefined) continue;
    // JSONata keeps a nested [...] as one item but appends (flattens) any other array value.
    if (node.items[i]!.kind !== 'array' && Array.isArray(value)) {
      for (const element of value) values.push(element);
    } else {
      values.push(value);
    }
  }
  return constantNode(Object.freeze(values));
}
