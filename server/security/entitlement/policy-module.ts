// `policy`: groups of users with topic grants, deny rules beating grants, `${user}`/`${group}`
// placeholders. The policy is inline (`policy:`) or a file (`file:`) that reset() re-reads; a
// re-read that fails keeps the previous policy in force, and reset() rejects saying why (the
// broker logs it and puts it in the admin reset response).
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type {
  EntitlementAnswer,
  EntitlementExplanation,
  EntitlementModule,
  EntitlementModuleFactory,
  EntitlementRequest,
} from '../module-types.js';
import { parseModuleOptions } from '../module-options.js';
import { readPolicyFile } from './policy-file.js';
import { PolicyRules } from './policy-rules.js';
import { policySchemaFor } from './policy-schema.js';
import type { FilterSyntax } from '../../content/filter/index.js';

/** `filterSyntax`: what a grant's filter without one is written in (content.filterSyntax). */
const optionsSchemaFor = (filterSyntax: FilterSyntax) =>
  z
    .strictObject({
      /** YAML or JSON; relative to the config file's directory. */
      file: z.string().min(1).optional(),
      policy: policySchemaFor(filterSyntax).optional(),
    })
    .superRefine((options, ctx) => {
      if (options.file === undefined && options.policy === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['file'],
          input: undefined,
          message: 'expected a policy file path (or an inline "policy")',
        });
      }
      if (options.file !== undefined && options.policy !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          input: ['file', 'policy'],
          message: 'expected either "file" or "policy", not both',
        });
      }
    });

class PolicyEntitlementModule implements EntitlementModule {
  readonly name = 'policy';
  private rules: PolicyRules;
  /** Counts file loads, so a slow re-read never replaces the result of a later one. */
  private loads = 0;

  constructor(
    rules: PolicyRules,
    private readonly source:
      { readonly file: string; readonly optionPath: string; readonly filterSyntax: FilterSyntax } | undefined,
    private readonly log: Logger,
  ) {
    this.rules = rules;
  }

  check(request: EntitlementRequest): EntitlementAnswer {
    return this.rules.check(request);
  }

  explain(request: EntitlementRequest): EntitlementExplanation {
    return this.rules.explain(request);
  }

  async reset(): Promise<void> {
    if (this.source === undefined) {
      this.rules.forgetUnknownUsers();
      return;
    }
    const { file, optionPath, filterSyntax } = this.source;
    const load = ++this.loads;
    try {
      const rules = new PolicyRules(await readPolicyFile(file, optionPath, filterSyntax), this.log);
      if (load !== this.loads) return;
      this.rules = rules;
      this.log.info({ file }, 'entitlement policy reloaded');
    } catch (error) {
      // Fail safe for availability without failing open: the last valid policy keeps applying.
      if (load !== this.loads) return;
      throw new Error(
        `entitlement policy file is invalid; keeping the previous policy: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

export const createPolicyEntitlement: EntitlementModuleFactory = async (
  options,
  context,
): Promise<EntitlementModule> => {
  const { filterSyntax } = context;
  const { file: fileOption, policy } = parseModuleOptions(optionsSchemaFor(filterSyntax), options, context);
  if (policy !== undefined)
    return new PolicyEntitlementModule(new PolicyRules(policy, context.log), undefined, context.log);
  // The schema requires one of the two.
  if (fileOption === undefined) throw new Error('internal: policy options have neither file nor policy');
  const file = resolve(context.baseDir, fileOption);
  const optionPath = `${context.configPath}.options.file`;
  const rules = new PolicyRules(await readPolicyFile(file, optionPath, filterSyntax), context.log);
  return new PolicyEntitlementModule(rules, { file, optionPath, filterSyntax }, context.log);
};
