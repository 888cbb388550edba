// One policy of the `policy` module, live or shadow: its rules, and where they come from (a file,
// re-read on reset and when it changes, or inline). Reads are numbered so that a slow one never
// replaces the result of one started after it.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { parsePolicyText, readPolicyText } from './policy-file.js';
import { PolicyRules } from './policy-rules.js';
import type { PolicyDefinition } from './policy-schema.js';
import type { FileWatch } from './policy-watch.js';
import type { FilterSyntax } from '../../content/filter/index.js';

export interface PolicyFileSource {
  /** Absolute. */
  readonly file: string;
  /** Where the file is configured (`security.entitlement.options.shadow.file`), named when it cannot be read. */
  readonly optionPath: string;
  /** What a grant's filter without its own syntax is written in (content.filterSyntax). */
  readonly filterSyntax: FilterSyntax;
}

export class PolicySlot {
  /** The file's watch, while there is one. */
  watch: FileWatch | null = null;
  /** Counts reads, so a slow read never replaces the result of a later one. */
  private reads = 0;
  /** The outcome of the latest read. */
  private latest: Promise<void> = Promise.resolve();

  private constructor(
    public rules: PolicyRules,
    /** undefined: an inline policy. */
    readonly source: PolicyFileSource | undefined,
    /** The file's text as last read, valid or not: an event that changed nothing does nothing. */
    private lastText: string | null,
    private readonly log: Logger,
  ) {}

  static inline(definition: PolicyDefinition, log: Logger): PolicySlot {
    return new PolicySlot(new PolicyRules(definition, log), undefined, null, log);
  }

  /** Reads and validates the file; throws a ConfigError naming the file (or the option, if unreadable). */
  static async fromFile(
    file: string,
    baseDir: string,
    optionPath: string,
    filterSyntax: FilterSyntax,
    log: Logger,
  ): Promise<PolicySlot> {
    const path = resolve(baseDir, file);
    const text = await readPolicyText(path, optionPath);
    const rules = new PolicyRules(parsePolicyText(text, path, filterSyntax), log);
    return new PolicySlot(rules, { file: path, optionPath, filterSyntax }, text, log);
  }

  /** The file's path, or `inline`. */
  get description(): string {
    return this.source?.file ?? 'inline';
  }

  /**
   * Read the file again and give the new rules to `apply` (synchronously, so nothing is decided
   * between), with whether the text is not what was read last time. A watched change (`force`
   * false) applies nothing when the text is the same, or when the path is not a regular file (a
   * FIFO would block the read). When a later read starts before this one ends, this one resolves
   * as that one does: a reset never returns before the newest file is in force. Rejects with a
   * ConfigError when the file is unreadable or invalid.
   */
  async reload(force: boolean, apply: (rules: PolicyRules, changed: boolean) => void): Promise<void> {
    if (this.source === undefined) throw new Error('internal: an inline policy has no file to read');
    const { file, optionPath, filterSyntax } = this.source;
    if (!force && !(await isRegularFileOrMissing(file))) return;
    const read = ++this.reads;
    const outcome = (async (): Promise<void> => {
      let text: string;
      try {
        text = await readPolicyText(file, optionPath);
      } catch (err) {
        if (read !== this.reads) return this.latest;
        this.lastText = null;
        throw err;
      }
      if (read !== this.reads) return this.latest;
      const changed = text !== this.lastText;
      if (!changed && !force) return;
      this.lastText = text;
      apply(new PolicyRules(parsePolicyText(text, file, filterSyntax), this.log), changed);
    })();
    this.latest = outcome;
    return outcome;
  }

  close(): void {
    this.watch?.close();
    this.watch = null;
  }
}

/** False for a FIFO, a directory, a device; true for a regular file, and when it cannot be told (the read says why). */
async function isRegularFileOrMissing(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return true;
  }
}
