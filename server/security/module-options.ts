// Validation of a module's `options` object with zod, reported like any other config error:
// the full key path (`security.authentication.options.users[0].hash`), the value, the form.
import type { z } from 'zod';
import { ConfigError } from '../config/index.js';
import { createIssueFormatter } from '../config/zod-issues.js';
import type { KeyPath } from '../config/key-path.js';
import type { ModuleContext } from './module-types.js';

/** Option keys whose values are never echoed in errors (they may be secrets substituted from ${env:}/${file:}). */
const SECRET_KEY = /secret|password|passphrase|token|hash|key/i;

function secretPaths(value: unknown, path: KeyPath = []): KeyPath[] {
  if (typeof value !== 'object' || value === null) return [];
  const out: KeyPath[] = [];
  for (const [key, child] of Object.entries(value)) {
    const childPath = [...path, Array.isArray(value) ? Number(key) : key];
    if (!Array.isArray(value) && SECRET_KEY.test(key)) out.push(childPath);
    else out.push(...secretPaths(child, childPath));
  }
  return out;
}

/** Parse `options` with `schema`; throws ConfigError with paths under `<configPath>.options`. */
export function parseModuleOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  context: Pick<ModuleContext, 'configPath'>,
): z.output<S> {
  const formatter = createIssueFormatter();
  const result = schema.safeParse(options ?? {}, { reportInput: true, error: formatter.errorMap });
  if (result.success) return result.data;
  const issues = formatter.toConfigIssues(result.error.issues, secretPaths(options)).map((issue) => ({
    path:
      issue.path === '(root)'
        ? `${context.configPath}.options`
        : `${context.configPath}.options${issue.path.startsWith('[') ? '' : '.'}${issue.path}`,
    message: issue.message,
  }));
  throw new ConfigError(issues);
}
