// YAML text -> plain data, with syntax errors reported as ConfigError issues with line and column.
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './config-error.js';

/** Parses one YAML document; an empty document (or only comments) is `{}`. */
export function parseYamlText(text: string, source?: string): unknown {
  const lineCounter = new LineCounter();
  // prettyErrors off: its messages quote source lines, and we place the error ourselves.
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const issues: ConfigIssue[] = document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return { path: '', message: `YAML syntax error at line ${line}, column ${col}: ${error.message}` };
    });
    throw new ConfigError(issues, source);
  }
  try {
    return document.toJS() ?? {};
  } catch (error) {
    // toJS fails on alias problems (unresolved anchor, alias bombs), which carry no position.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([{ path: '', message: `YAML error: ${reason}` }], source);
  }
}
