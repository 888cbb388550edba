// Loading vhost policies: inline (a list of policy objects in the config) or from a directory of
// policy files, one vhost per file, as the router's policyDir holds one JSON file per vhost
// (AMQ Interconnect 7.2.3.3). Files are YAML, or JSON (which is YAML too: the YAML parser also
// rejects the duplicate keys JSON.parse would silently resolve). Every failure is a ConfigError
// naming the file (or the config key) and the key path inside it.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import { parseYamlText } from '../config/yaml-text.js';
import { createIssueFormatter } from '../config/zod-issues.js';
import type { FilterSyntax } from '../content/filter/index.js';
import { canonicalVhostName } from './vhost-names.js';
import { vhostPolicySchemaFor, type VhostPolicyDefinition } from './vhost-policy-schema.js';

/** At most this many policy files in a directory: beyond it the directory is refused, not truncated. */
export const MAX_POLICY_FILES = 1000;
/** At most this many bytes per policy file: a policy is a few kilobytes; larger is a mistake. */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;

const POLICY_FILE = /\.(ya?ml|json)$/i;

export interface LoadedVhostPolicy {
  readonly definition: VhostPolicyDefinition;
  /** Where it came from: the file, or the config key of an inline policy. */
  readonly source: string;
}

/** Validates one policy document; issue paths are `prefix` followed by the path inside it. */
export function parseVhostPolicy(
  document: unknown,
  filterSyntax: FilterSyntax,
  file: string | undefined,
  prefix = '',
): VhostPolicyDefinition {
  const formatter = createIssueFormatter();
  const result = vhostPolicySchemaFor(filterSyntax).safeParse(document, {
    reportInput: true,
    error: formatter.errorMap,
  });
  if (result.success) return result.data;
  const issues = formatter.toConfigIssues(result.error.issues, []).map((issue) => prefixed(issue, prefix));
  throw new ConfigError(issues, file);
}

/** Inline policies (`optionPath` is where the list is in the config, e.g. `vhosts.policies`). */
export function loadInlineVhostPolicies(
  list: unknown,
  optionPath: string,
  filterSyntax: FilterSyntax,
): LoadedVhostPolicy[] {
  if (!Array.isArray(list)) {
    throw new ConfigError([{ path: optionPath, message: 'expected a list of vhost policies' }]);
  }
  const issues: ConfigIssue[] = [];
  const policies: LoadedVhostPolicy[] = [];
  list.forEach((document: unknown, index) => {
    const source = `${optionPath}[${index}]`;
    try {
      policies.push({ definition: parseVhostPolicy(document, filterSyntax, undefined, source), source });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  checkUniqueHostnames(policies, (policy) => `${policy.source}.hostname`);
  return policies;
}

/** Every `*.yaml`, `*.yml` and `*.json` file of `directory`, in name order; other files are ignored. */
export async function loadVhostPolicyDirectory(
  directory: string,
  optionPath: string,
  filterSyntax: FilterSyntax,
): Promise<LoadedVhostPolicy[]> {
  let names: string[];
  try {
    names = (await readdir(directory, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && POLICY_FILE.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new ConfigError([
      {
        path: optionPath,
        message: `cannot read vhost policy directory ${JSON.stringify(directory)} (${codeOf(error)})`,
      },
    ]);
  }
  if (names.length > MAX_POLICY_FILES) {
    throw new ConfigError([
      {
        path: optionPath,
        message: `expected at most ${MAX_POLICY_FILES} policy files in ${JSON.stringify(directory)}, found ${names.length}`,
      },
    ]);
  }
  const policies: LoadedVhostPolicy[] = [];
  for (const name of names) {
    const file = join(directory, name);
    const text = await readPolicyText(file, optionPath);
    policies.push({ definition: parseVhostPolicy(parseYamlText(text, file), filterSyntax, file), source: file });
  }
  checkUniqueHostnames(policies, (policy) => policy.source);
  return policies;
}

async function readPolicyText(file: string, optionPath: string): Promise<string> {
  try {
    const { size } = await stat(file);
    if (size > MAX_POLICY_FILE_BYTES) {
      throw new ConfigError(
        [{ path: '', message: `expected a policy file of at most ${MAX_POLICY_FILE_BYTES} bytes, got ${size}` }],
        file,
      );
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      [{ path: optionPath, message: `cannot read vhost policy file ${JSON.stringify(file)} (${codeOf(error)})` }],
      file,
    );
  }
}

/** One policy per vhost (AMQ Interconnect 7.2.3.2: "you can only have one vhost policy per hostname"). */
function checkUniqueHostnames(
  policies: readonly LoadedVhostPolicy[],
  where: (policy: LoadedVhostPolicy) => string,
): void {
  const seen = new Map<string, LoadedVhostPolicy>();
  const issues: ConfigIssue[] = [];
  for (const policy of policies) {
    const name = canonicalVhostName(policy.definition.hostname, true);
    const earlier = seen.get(name);
    if (earlier === undefined) {
      seen.set(name, policy);
      continue;
    }
    issues.push({
      path: where(policy),
      message: `expected one policy per vhost: "${policy.definition.hostname}" is in both ${where(earlier)} and ${where(policy)}`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

function prefixed(issue: ConfigIssue, prefix: string): ConfigIssue {
  if (prefix === '') return issue;
  if (issue.path === '' || issue.path === '(root)') return { ...issue, path: prefix };
  return { ...issue, path: issue.path.startsWith('[') ? `${prefix}${issue.path}` : `${prefix}.${issue.path}` };
}

function codeOf(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
}
