/** One problem with a configuration: where it is and what is wrong there. */
export interface ConfigIssue {
  /** Key path in dotted/bracket form (`listeners[0].port`), `(root)` for the whole document, or '' when no key applies (YAML syntax). */
  readonly path: string;
  /** What is wrong; never contains a value that came from ${env:} or ${file:} substitution. */
  readonly message: string;
}

/** An invalid configuration; `message` lists every issue, one per line, for a human at a terminal. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];
  /** The config file the issues are in, when there is one. */
  readonly source: string | undefined;

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const header =
      source === undefined ? 'invalid Warden configuration:' : `invalid Warden configuration in ${source}:`;
    super([header, ...issues.map((issue) => `  ${formatIssueLine(issue)}`)].join('\n'));
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
    this.source = source;
  }
}

export function formatIssueLine(issue: ConfigIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}
