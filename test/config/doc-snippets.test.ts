// Every configuration example in README.md and docs/ loads, so a broken example fails the suite
// instead of misleading a reader (a policy filter outside our syntax denies everything silently).
//
// The convention, for whoever writes docs:
// - a ```yaml block is a whole config file (warden.yaml): validated by the config schema, and its
//   inline `policy` and `simple-access` entitlement options by those modules (filters and select
//   lists compiled);
// - a block right after `<!-- snippet: KIND -->` is of that kind instead:
//     policy               a policy file (policy schema, filters and select lists compiled);
//     vhost-policy         a vhost policy file (docs/vhosts.md; its schema, filters and select lists compiled);
//     entitlement-answers  JSON entitlement answers, one per line (filters and select lists compiled);
//     partial              a fragment, e.g. one listener's keys (only its YAML syntax is checked);
//                          say what it is a part of: `<!-- snippet: partial (a listener's keys) -->`.
// Other blocks (shell sessions, HTTP bodies, code) are not checked.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig, type ModuleSpec } from '../../server/config/index.js';
import { filterFor, selectFor } from '../../server/content/content-rules.js';
import type { FilterSyntax } from '../../server/content/filter/index.js';
import {
  createHttpEntitlement,
  createPolicyEntitlement,
  createSimpleAccessEntitlement,
} from '../../server/security/entitlement/index.js';
import { createHttpAuthentication, createJwtAuthentication } from '../../server/security/authentication/index.js';
import { parsePolicyDocument } from '../../server/security/entitlement/policy-file.js';
import { findPackageRoot } from '../../server/config/package-root.js';
import { parseVhostPolicy } from '../../server/vhosts/vhost-policy-files.js';
import { VhostPolicyRules } from '../../server/vhosts/vhost-policy-rules.js';

const root = findPackageRoot(import.meta.url);
const KINDS = ['config', 'policy', 'vhost-policy', 'entitlement-answers', 'partial'] as const;
type Kind = (typeof KINDS)[number];
const MARKER = /^<!-- snippet: ([a-z-]+)(?: [^>]*)? -->$/;

interface Snippet {
  readonly where: string;
  readonly kind: Kind;
  readonly text: string;
}

/** The checked blocks of one markdown file; a marker that names no kind or precedes no block throws. */
export function snippetsOf(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const out: Snippet[] = [];
  let marker: { kind: Kind; line: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const marked = MARKER.exec(line.trim());
    if (marked !== null) {
      const kind = marked[1] as Kind;
      if (!KINDS.includes(kind))
        throw new Error(`${file}:${i + 1}: unknown snippet kind "${marked[1]}" (expected one of ${KINDS.join(', ')})`);
      marker = { kind, line: i + 1 };
      continue;
    }
    const fence = /^```(\S*)/.exec(line);
    if (fence === null) {
      if (marker !== null && line.trim() !== '')
        throw new Error(`${file}:${marker.line}: a snippet marker must be followed by a fenced block`);
      continue;
    }
    const end = lines.indexOf('```', i + 1);
    if (end === -1) throw new Error(`${file}:${i + 1}: unterminated fenced block`);
    const language = fence[1];
    const kind = marker?.kind ?? (language === 'yaml' || language === 'yml' ? 'config' : null);
    if (kind !== null) out.push({ where: `${file}:${i + 1}`, kind, text: lines.slice(i + 1, end).join('\n') });
    marker = null;
    i = end;
  }
  if (marker !== null) throw new Error(`${file}:${marker.line}: a snippet marker must be followed by a fenced block`);
  return out;
}

function allSnippets(): Snippet[] {
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((file) => snippetsOf(readFileSync(join(root, file), 'utf8'), file));
}

const context = {
  log: pino({ level: 'silent' }),
  baseDir: root,
  configPath: 'security.entitlement',
  invalidate: () => {},
  invalidateAll: () => {},
  audit: () => {},
  filterSyntax: 'jsonata' as const,
};

/** Every value for ${env:...} is this; files named by ${file:...} are the reader's and read as such a value too. */
const ENV_VALUE = '1';

async function checkConfig(text: string): Promise<void> {
  const document: unknown = parseYaml(text.replace(/\$\{file:[^}]*\}/g, '${env:SNIPPET_FILE}'));
  const env = new Proxy({}, { get: () => ENV_VALUE }) as NodeJS.ProcessEnv;
  const config = parseConfig(document, { env, dir: root });
  const specs: ModuleSpec[] = [
    config.security.entitlement,
    ...config.listeners.map((l) => l.entitlement),
    config.admin.entitlement,
  ].filter((spec): spec is ModuleSpec => spec !== undefined);
  for (const spec of specs) {
    // Modules that need nothing outside the config: load them as the broker would.
    // Grants without filterSyntax are in the config's own default.
    const own = { ...context, filterSyntax: config.content.filterSyntax };
    if (spec.module === 'simple-access') await createSimpleAccessEntitlement(spec.options, own);
    if (spec.module === 'policy' && spec.options.policy !== undefined) await createPolicyEntitlement(spec.options, own);
    // Its options only: nothing is asked before the first check.
    if (spec.module === 'http') await createHttpEntitlement(spec.options, own);
  }
  const authentication: ModuleSpec[] = [
    config.security.authentication,
    ...config.listeners.map((l) => l.authentication),
    config.admin.authentication,
  ].filter((spec): spec is ModuleSpec => spec !== undefined);
  const authContext = { ...context, configPath: 'security.authentication' };
  for (const spec of authentication) {
    // These ask their service (or fetch their key set) at the first logon, not when made.
    if (spec.module === 'http') await createHttpAuthentication(spec.options, authContext);
    if (spec.module === 'jwt' && spec.options.jwksUrl !== undefined)
      await createJwtAuthentication(spec.options, authContext);
  }
}

async function check(snippet: Snippet): Promise<void> {
  switch (snippet.kind) {
    case 'config':
      return checkConfig(snippet.text);
    case 'policy':
      parsePolicyDocument(parseYaml(snippet.text), snippet.where, 'jsonata');
      return;
    case 'vhost-policy':
      // The rules compile the groups' patterns, filters and select lists, as the broker would.
      new VhostPolicyRules(parseVhostPolicy(parseYaml(snippet.text), 'jsonata', snippet.where));
      return;
    case 'entitlement-answers':
      for (const line of snippet.text.split('\n').filter((l) => l.trim() !== '')) {
        const answer = JSON.parse(line) as { filter?: string; filterSyntax?: FilterSyntax; select?: string };
        if (answer.filter !== undefined) filterFor(answer.filter, answer.filterSyntax ?? 'jsonata');
        if (answer.select !== undefined) selectFor(answer.select);
      }
      return;
    case 'partial':
      parseYaml(snippet.text);
      return;
  }
}

describe('configuration snippets in README.md and docs/', () => {
  const snippets = allSnippets();

  it('finds the snippets (the extraction itself works)', () => {
    expect(snippets.filter((s) => s.kind === 'config').length).toBeGreaterThan(15);
    expect(snippets.some((s) => s.kind === 'policy')).toBe(true);
  });

  it.each(snippets.map((s) => [`${s.where} (${s.kind})`, s] as const))('%s loads', async (_name, snippet) => {
    await check(snippet);
  });

  it('catches a broken example: a filter outside the syntax, a misspelt key, an unknown marker', async () => {
    const policy = snippetsOf(
      "<!-- snippet: policy -->\n```yaml\ngroups:\n  g:\n    grants:\n      - { actions: [read], topics: ['#'], filter: \"/region = 'EU'\" }\n```\n",
      'x.md',
    );
    await expect(check(policy[0]!)).rejects.toThrow('groups.g.grants[0].filter');
    const [config] = snippetsOf('```yaml\nlisteners:\n  - { name: a, prot: mqtt }\n```\n', 'x.md');
    await expect(check(config!)).rejects.toThrow('listeners[0].prot: unknown key');
    const [answers] = snippetsOf(
      `<!-- snippet: entitlement-answers -->\n\`\`\`json\n{ "allow": true, "filter": "/owner = 'alice'" }\n\`\`\`\n`,
      'x.md',
    );
    await expect(check(answers!)).rejects.toThrow('filter does not parse');
    const [vhost] = snippetsOf(
      "<!-- snippet: vhost-policy -->\n```yaml\nhostname: a.example\ngroups:\n  g: { sourcs: ['#'] }\n```\n",
      'x.md',
    );
    await expect(check(vhost!)).rejects.toThrow('groups.g.sourcs: unknown key');
    expect(() => snippetsOf('<!-- snippet: fragment -->\n```yaml\na: 1\n```\n', 'x.md')).toThrow(
      'x.md:1: unknown snippet kind "fragment"',
    );
    expect(() => snippetsOf('<!-- snippet: partial -->\ntext\n```yaml\na: 1\n```\n', 'x.md')).toThrow(
      'x.md:1: a snippet marker must be followed by a fenced block',
    );
  });
});
