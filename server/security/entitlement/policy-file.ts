// Reading a policy file (YAML, or JSON, which is YAML too). Every failure is a ConfigError that
// names the file, and for validation failures the key path inside it. The YAML parser also
// rejects duplicate keys, which JSON.parse would silently resolve to the last one.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../config/index.js';
import { parseYamlText } from '../../config/yaml-text.js';
import { createIssueFormatter } from '../../config/zod-issues.js';
import type { FilterSyntax } from '../../content/filter/index.js';
import { policySchemaFor, type PolicyDefinition } from './policy-schema.js';

/**
 * `optionPath` is where the file is configured (`security.entitlement.options.file`), named when it
 * cannot be read; `filterSyntax` is the broker's default (content.filterSyntax), for grants that name none.
 */
export async function readPolicyFile(
  file: string,
  optionPath: string,
  filterSyntax: FilterSyntax,
): Promise<PolicyDefinition> {
  return parsePolicyText(await readPolicyText(file, optionPath), file, filterSyntax);
}

/** The file's text; a ConfigError naming `optionPath` when it cannot be read. */
export async function readPolicyText(file: string, optionPath: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError(
      [{ path: optionPath, message: `cannot read policy file ${JSON.stringify(file)} (${code})` }],
      file,
    );
  }
}

/** A policy file's text, parsed and validated; `file` names it in errors. */
export function parsePolicyText(text: string, file: string, filterSyntax: FilterSyntax): PolicyDefinition {
  return parsePolicyDocument(parseYamlText(text, file), file, filterSyntax);
}

/** Validates an already-parsed policy document; issue paths are relative to the document's root. */
export function parsePolicyDocument(document: unknown, file: string, filterSyntax: FilterSyntax): PolicyDefinition {
  const formatter = createIssueFormatter();
  const result = policySchemaFor(filterSyntax).safeParse(document, { reportInput: true, error: formatter.errorMap });
  if (result.success) return result.data;
  throw new ConfigError(formatter.toConfigIssues(result.error.issues, []), file);
}
