// `policy`: groups of users with topic grants, deny rules beating grants, `${user}`/`${group}`
// placeholders. The policy is inline (`policy:`) or a file (`file:`) that reset() re-reads and,
// watched, that is re-read when it changes: then only the users whose grants changed have their
// answers invalidated (policy-diff.ts). A re-read that fails keeps the previous policy in force;
// reset() rejects saying why (the broker logs it and puts it in the admin reset response), a
// watched change is logged and audited.
//
// A shadow policy (`shadow:`) answers every module call beside the live one, which alone decides;
// the differences are counted and audited (shadow-recorder.ts) until an admin promotes it.
import type { Logger } from 'pino';
import { z } from 'zod';
import { booleanField } from '../../config/fields.js';
import type {
  EntitlementAnswer,
  EntitlementExplanation,
  EntitlementModule,
  EntitlementModuleFactory,
  EntitlementRequest,
  ModuleContext,
  ShadowSummary,
} from '../module-types.js';
import { parseModuleOptions } from '../module-options.js';
import { diffPolicies, type PolicyDiff } from './policy-diff.js';
import { policySchemaFor, type PolicyDefinition } from './policy-schema.js';
import type { FilterSyntax } from '../../content/filter/index.js';
import type { PolicyRules } from './policy-rules.js';
import { PolicySlot } from './policy-slot.js';
import { watchFile } from './policy-watch.js';
import { compactAnswer, differenceKinds, ShadowRecorder } from './shadow-recorder.js';

/**
 * A watched change affecting more users than this forgets every answer at once: each targeted
 * invalidation walks the whole entitlement cache, so past a few hundred users one clear is cheaper.
 */
export const MAX_TARGETED_USERS = 100;

/** `file` or `policy`, exactly one; the same for the live policy and the shadow. */
function exactlyOneSource(options: { file?: string | undefined; policy?: unknown }, ctx: z.RefinementCtx): void {
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
}

/** `filterSyntax`: what a grant's filter without one is written in (content.filterSyntax). */
const sourceFieldsFor = (filterSyntax: FilterSyntax) => ({
  /** YAML or JSON; relative to the config file's directory. */
  file: z.string().min(1).optional(),
  policy: policySchemaFor(filterSyntax).optional(),
});

const optionsSchemaFor = (filterSyntax: FilterSyntax) =>
  z
    .strictObject({
      ...sourceFieldsFor(filterSyntax),
      /** Re-read the files when they change (default: true when there is a file). */
      watch: booleanField().optional(),
      /** A second policy, compared with the live one on every call and never deciding. */
      shadow: z.strictObject(sourceFieldsFor(filterSyntax)).superRefine(exactlyOneSource).optional(),
    })
    .superRefine((options, ctx) => {
      exactlyOneSource(options, ctx);
      if (options.watch === true && options.file === undefined && options.shadow?.file === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['watch'],
          input: true,
          message: 'expected false (there is no policy file to watch: no "file" or "shadow.file")',
        });
      }
    });

interface Shadow {
  readonly slot: PolicySlot;
  /** Starts again whenever the shadow policy changes. */
  recorder: ShadowRecorder;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

class PolicyEntitlementModule implements EntitlementModule {
  readonly name = 'policy';
  private closed = false;

  constructor(
    private live: PolicySlot,
    private shadow: Shadow | null,
    private readonly context: ModuleContext,
  ) {}

  private get log(): Logger {
    return this.context.log;
  }

  check(request: EntitlementRequest): EntitlementAnswer {
    const answer = this.live.rules.check(request);
    if (this.shadow !== null) this.compare(this.shadow, request, answer);
    return answer;
  }

  explain(request: EntitlementRequest): EntitlementExplanation {
    return this.live.rules.explain(request);
  }

  /** Ask the shadow too, and record how its answer differs. Never throws: the live answer stands whatever happens. */
  private compare(shadow: Shadow, request: EntitlementRequest, live: EntitlementAnswer): void {
    try {
      const recorder = shadow.recorder;
      const answer = shadow.slot.rules.check(request);
      recorder.compared();
      const kinds = differenceKinds(live, answer);
      if (kinds.length === 0) return;
      // explain() is side-effect free; only differences pay for it.
      const details = {
        live: compactAnswer(live),
        shadow: compactAnswer(answer),
        liveRule: this.live.rules.explain(request).rule?.location ?? null,
        shadowRule: shadow.slot.rules.explain(request).rule?.location ?? null,
      };
      const audit = recorder.record(request, kinds, details);
      if (audit === null) return;
      const { user, action, resourceType, resource } = request;
      this.context.audit('shadow-difference', {
        config: this.context.configPath,
        user,
        action,
        resourceType,
        resource,
        kinds,
        ...details,
        ...audit,
      });
    } catch (err) {
      this.log.error({ err }, 'comparing an answer with the shadow policy failed (the live answer stands)');
    }
  }

  shadowSummary(): ShadowSummary | null {
    return this.shadow?.recorder.summary() ?? null;
  }

  /**
   * The shadow becomes the live policy, with its source: its file is what a reset re-reads and what
   * is watched from now on (the live file no longer is). The caller resets entitlements after.
   */
  promoteShadow(): void {
    const shadow = this.shadow;
    if (shadow === null) throw new Error('this policy module has no shadow policy to promote');
    const previous = this.live;
    const summary = shadow.recorder.summary();
    this.live = shadow.slot;
    this.shadow = null;
    previous.close();
    const from = shadow.slot.description;
    this.context.audit('shadow-promoted', {
      config: this.context.configPath,
      from,
      previous: previous.description,
      comparisons: summary.comparisons,
      differences: summary.differences,
    });
    this.log.warn(
      { from, previous: previous.description },
      shadow.slot.source === undefined
        ? 'shadow policy promoted: the inline shadow policy is live until the module is built again (restart, live reload); put it in the config to keep it'
        : 'shadow policy promoted: the live policy now comes from the shadow file; change the config to keep it after a restart',
    );
  }

  async reset(): Promise<void> {
    const failures: string[] = [];
    const live = this.live;
    try {
      if (live.source === undefined) live.rules.forgetUnknownUsers();
      else
        await live.reload(true, (rules) => {
          if (live !== this.live) return;
          live.rules = rules;
          this.log.info({ file: live.source?.file }, 'entitlement policy reloaded');
        });
    } catch (err) {
      failures.push(`entitlement policy file is invalid; keeping the previous policy: ${message(err)}`);
    }
    const shadow = this.shadow;
    try {
      if (shadow?.slot.source === undefined) shadow?.slot.rules.forgetUnknownUsers();
      else await shadow.slot.reload(true, (rules, changed) => this.applyShadow(shadow.slot, rules, changed));
    } catch (err) {
      failures.push(`shadow policy file is invalid; keeping the previous shadow policy: ${message(err)}`);
    }
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  /**
   * A shadow file read again. A changed one starts the summary again (differences from the previous
   * shadow say nothing about this one), and every answer is forgotten, so that each request in use
   * is asked, and compared with the new shadow, again; no live answer changes.
   */
  private applyShadow(slot: PolicySlot, rules: PolicyRules, changed: boolean): void {
    const shadow = this.shadow;
    if (shadow?.slot !== slot) return;
    slot.rules = rules;
    if (!changed) return;
    shadow.recorder = new ShadowRecorder(slot.description);
    this.log.info({ file: slot.source?.file }, 'shadow policy changed; its summary starts again');
    this.context.invalidateAll();
  }

  // ---- watching the files (docs/entitlement.md#watching-the-policy-file) -------------------------

  startWatching(): void {
    for (const slot of [this.live, this.shadow?.slot]) {
      if (slot?.source === undefined) continue;
      const { file } = slot.source;
      try {
        slot.watch = watchFile(
          file,
          () => {
            this.changed(slot).catch((err: unknown) => this.log.error({ err, file }, 'applying a policy file failed'));
          },
          (err) =>
            this.log.warn({ err, file }, 'stopped watching the policy file: its changes now need an entitlement reset'),
        );
      } catch (err) {
        this.log.warn({ err, file }, 'cannot watch the policy file: its changes need an entitlement reset');
      }
    }
  }

  /** The watched file of `slot` changed: read it, then apply it where the slot is now (live, shadow, or nowhere). */
  private async changed(slot: PolicySlot): Promise<void> {
    try {
      await slot.reload(false, (rules, changed) => {
        if (this.closed) return;
        if (slot === this.live) this.applyLive(rules);
        else this.applyShadow(slot, rules, changed);
      });
    } catch (err) {
      if (!this.closed) this.reportInvalid(slot, err);
    }
  }

  /** A changed live policy: in force at once, and only the answers of the users it changes are forgotten. */
  private applyLive(rules: PolicyRules): void {
    const previous = this.live.rules;
    this.live.rules = rules;
    const diff = diffPolicies(previous.policy, rules.policy);
    this.log.info(
      { file: this.live.source?.file, users: diff.users.length, everyone: diff.everyone },
      'entitlement policy file changed; applied',
    );
    this.invalidate(diff);
  }

  private invalidate(diff: PolicyDiff): void {
    if (diff.everyone || diff.users.length > MAX_TARGETED_USERS) this.context.invalidateAll();
    else for (const user of diff.users) this.context.invalidate({ user });
  }

  private reportInvalid(slot: PolicySlot, err: unknown): void {
    const policy = slot === this.live ? 'live' : slot === this.shadow?.slot ? 'shadow' : null;
    if (policy === null) return;
    const file = slot.description;
    this.log.error(
      { file, error: message(err) },
      policy === 'live'
        ? 'entitlement policy file is invalid; keeping the previous policy'
        : 'shadow policy file is invalid; keeping the previous shadow policy',
    );
    this.context.audit('policy-invalid', { config: this.context.configPath, policy, file, error: message(err) });
  }

  close(): void {
    this.closed = true;
    this.live.close();
    this.shadow?.slot.close();
  }
}

export const createPolicyEntitlement: EntitlementModuleFactory = async (
  options,
  context,
): Promise<EntitlementModule> => {
  const { baseDir, configPath, log, filterSyntax } = context;
  const { file, policy, watch, shadow } = parseModuleOptions(optionsSchemaFor(filterSyntax), options, context);
  const slot = async (
    source: { file?: string | undefined; policy?: PolicyDefinition | undefined },
    optionPath: string,
    slotLog: Logger,
  ): Promise<PolicySlot> => {
    if (source.policy !== undefined) return PolicySlot.inline(source.policy, slotLog);
    // The schema requires one of the two.
    if (source.file === undefined) throw new Error('internal: policy options have neither file nor policy');
    return PolicySlot.fromFile(source.file, baseDir, optionPath, filterSyntax, slotLog);
  };
  const live = await slot({ file, policy }, `${configPath}.options.file`, log);
  let shadowSlot: PolicySlot | null = null;
  if (shadow !== undefined)
    shadowSlot = await slot(shadow, `${configPath}.options.shadow.file`, log.child({ policy: 'shadow' }));
  const module = new PolicyEntitlementModule(
    live,
    shadowSlot === null ? null : { slot: shadowSlot, recorder: new ShadowRecorder(shadowSlot.description) },
    context,
  );
  if (watch ?? (file !== undefined || shadow?.file !== undefined)) module.startWatching();
  return module;
};
