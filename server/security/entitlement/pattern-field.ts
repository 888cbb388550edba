// The zod field for a pattern in module options: validated and parsed while the options are
// parsed, so a bad pattern is reported with its key path like any other config error.
import { z } from 'zod';
import { PatternError, type PlaceholderName } from './placeholders.js';
import { parseTopicPattern } from './topic-pattern.js';

export function patternField(allowed: readonly PlaceholderName[]) {
  return z.string().transform((text, ctx) => {
    try {
      return parseTopicPattern(text, allowed);
    } catch (error) {
      if (!(error instanceof PatternError)) throw error;
      ctx.addIssue({ code: 'custom', message: `expected a valid pattern (${error.message})`, input: text });
      return z.NEVER;
    }
  });
}
