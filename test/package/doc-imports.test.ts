// What the docs import is what the package exports: every name a README or docs/ code sample
// imports from `warden-broker/server` or `warden-broker/client` exists there, and no sample imports
// the broker's internals by a path into the repository.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as client from '../../client/index.js';
import * as server from '../../server/index.js';
import { findPackageRoot } from '../../server/config/package-root.js';

const root = findPackageRoot(import.meta.url);
const documents = ['README.md', ...readdirSync(join(root, 'docs')).map((name) => join('docs', name))].filter((path) =>
  path.endsWith('.md'),
);
const EXPORTS: Record<string, Record<string, unknown>> = {
  'warden-broker/server': server,
  'warden-broker/client': client,
};

/** `import { a, type B, c as d } from 'spec'` statements in the document, with their value names. */
function imports(text: string): { spec: string; names: string[]; line: string }[] {
  const out: { spec: string; names: string[]; line: string }[] = [];
  for (const match of text.matchAll(/^import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/gm)) {
    const names = match[1]!
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '' && !part.startsWith('type '))
      .map((part) => part.split(/\s+as\s+/)[0]!);
    out.push({ spec: match[2]!, names: match[0].startsWith('import type') ? [] : names, line: match[0] });
  }
  return out;
}

it('every name the docs import from the package is exported, and no doc imports internals', () => {
  const missing: string[] = [];
  const internal: string[] = [];
  let checked = 0;
  for (const doc of documents) {
    for (const { spec, names, line } of imports(readFileSync(join(root, doc), 'utf8'))) {
      if (
        spec.startsWith('.') ||
        spec.startsWith('warden-broker/dist') ||
        /^warden-broker\/(?!server$|client$)/.test(spec)
      )
        internal.push(`${doc}: ${line}`);
      const exported = EXPORTS[spec];
      if (exported === undefined) continue;
      for (const name of names) {
        checked++;
        if (!(name in exported)) missing.push(`${doc}: ${name} from ${spec}`);
      }
    }
  }
  expect(internal).toEqual([]);
  expect(missing).toEqual([]);
  expect(checked).toBeGreaterThan(5);
});
