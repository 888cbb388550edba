// The `users` module's `usersFile`: a YAML (or JSON, which YAML reads too) file holding the user
// list, either as the whole document or under a `users` key. Read once, at startup; errors are
// ConfigErrors naming the file and the key path inside it.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { resolve } from 'node:path';
import { ConfigError } from '../../config/config-error.js';
import { formatKeyPath, type KeyPath } from '../../config/key-path.js';
import { parseYamlText } from '../../config/yaml-text.js';
import { createIssueFormatter } from '../../config/zod-issues.js';
import { compileUserEntries, userListSchema, type UserRecord } from './user-entries.js';

const FILE_FORM = 'expected a list of users, or a mapping with a `users` list';

/** Reads, validates and compiles the users file; `optionPath` (`...options.usersFile`) is named when the file cannot be read. */
export async function loadUsersFile(
  file: string,
  baseDir: string,
  optionPath: string,
): Promise<{ path: string; records: readonly UserRecord[] }> {
  const path = resolve(baseDir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError([{ path: optionPath, message: `cannot read users file ${JSON.stringify(path)} (${code})` }]);
  }
  const document = parseYamlText(text, path);
  const entries = isUsersMapping(document)
    ? validate(usersMappingSchema, document, ['users'], path).users
    : Array.isArray(document)
      ? validate(userListSchema, document, [], path)
      : fileFormError(path);
  const prefix: KeyPath = Array.isArray(document) ? [] : ['users'];
  const located = entries.map((entry, index) => ({ entry, path: [...prefix, index] }));
  const { records, issues } = compileUserEntries(located, formatKeyPath);
  if (issues.length > 0) throw new ConfigError(issues, path);
  return { path, records };
}

const usersMappingSchema = z.strictObject({ users: userListSchema });

function isUsersMapping(document: unknown): boolean {
  return typeof document === 'object' && document !== null && !Array.isArray(document);
}

function fileFormError(path: string): never {
  throw new ConfigError([{ path: '(root)', message: FILE_FORM }], path);
}

function validate<S extends z.ZodType>(schema: S, document: unknown, listPath: KeyPath, path: string): z.output<S> {
  const formatter = createIssueFormatter();
  const parsed = schema.safeParse(document, { reportInput: true, error: formatter.errorMap });
  if (parsed.success) return parsed.data;
  throw new ConfigError(formatter.toConfigIssues(parsed.error.issues, credentialPaths(document, listPath)), path);
}

/** `hash` and `scram` of every entry: never shown in errors. */
function credentialPaths(document: unknown, listPath: KeyPath): KeyPath[] {
  const list: unknown = listPath.length === 0 ? document : (document as Record<string, unknown>)[String(listPath[0])];
  if (!Array.isArray(list)) return [];
  return list.flatMap((_entry, index) => [
    [...listPath, index, 'hash'],
    [...listPath, index, 'scram'],
  ]);
}
