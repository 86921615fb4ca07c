import { Labels } from 'src/core/model/labels';
import { MetricFamily } from 'src/core/model/metric-family';
import { parseProtobufDelimited } from 'src/core/exposition/protobuf-delimited';
import { checkConsistency, consistencyLookupNames, FamilyIndex, familyIndex, FamilyTypeRef, suspectTypeMasks } from 'src/core/consistency/check-consistency';
import { collisionCandidateSteps, findSeriesCollisions } from 'src/core/consistency/series-collisions';
import { runAll, runPaused, Steps } from 'src/core/model/steps';
import { InconsistentPushError } from 'src/core/consistency/errors';

/**
 * What a push's consistency check needs to know of the store, planned from the push alone: which
 * stored names to compare types with, which other groups could expose the same series, and which
 * stored types would make the check fail (so the store can answer "nothing suspect" by itself and
 * the check need not run at all). Pure data: storage turns it into SQL arguments.
 */
export interface PushCheckPlan {
  /** The check is on (PUSH_DISABLE_CONSISTENCY_CHECK not set). */
  enabled: boolean;
  /** The pushed families (sanitised), what the check compares. */
  families: MetricFamily[];
  /** (name, type) of each pushed family. */
  pushed: FamilyTypeRef[];
  /** The gateway's own families, which pushes may not clash with either. */
  own: FamilyTypeRef[];
  /** Names whose stored types the check compares (see consistencyLookupNames). Empty: no type check. */
  lookupNames: string[];
  /** Per lookup name, the stored types (bit `1 << type`) the check would reject (see suspectTypeMasks). */
  suspectMasks: number[];
  /** Exposed keys of other groups that could expose the same series (see collisionCandidateKeys). */
  collisionKeys: string[];
  /**
   * The push conflicts with something outside the store (the gateway's own metrics), so the
   * check must run with the store's full context whatever the store holds.
   */
  needsContext: boolean;
}

/** What the store holds that a push's check compares with (read under the push's locks). */
export interface StoredContext {
  /** (name, type) of families elsewhere, minus what this push replaces; `where` names an example group. */
  existing: FamilyTypeRef[];
  /** Families with pushed names in groups whose exposed key is a collision candidate. */
  candidates: { exposedKey: string; name: string; body: Buffer }[];
}

/**
 * Plans the check of pushing `families` (sanitised) to a group exposed as `exposedLabels`, beside
 * the gateway's own families `own`. With the check disabled the plan asks the store for nothing.
 */
export function planPushCheck(families: MetricFamily[], exposedLabels: Labels, own: FamilyTypeRef[], enabled: boolean): PushCheckPlan {
  return runAll(planSteps(families, exposedLabels, own, enabled));
}

/** planPushCheck with `pause` awaited every few thousand series (a large push; see runPaused). */
export function planPushCheckPaused(
  families: MetricFamily[],
  exposedLabels: Labels,
  own: FamilyTypeRef[],
  enabled: boolean,
  pause: () => Promise<void>,
): Promise<PushCheckPlan> {
  return runPaused(planSteps(families, exposedLabels, own, enabled), pause);
}

function* planSteps(families: MetricFamily[], exposedLabels: Labels, own: FamilyTypeRef[], enabled: boolean): Steps<PushCheckPlan> {
  const pushed = families.map((mf) => ({ name: mf.name, type: mf.type }));
  const lookupNames = enabled ? consistencyLookupNames(pushed) : [];
  return {
    enabled,
    families,
    pushed,
    own: enabled ? own : [],
    lookupNames,
    suspectMasks: suspectTypeMasks(pushed, lookupNames),
    collisionKeys: enabled ? yield* collisionCandidateSteps(families, exposedLabels) : [],
    needsContext: enabled && conflictsWith(pushed, own),
  };
}

/** Whether the check must see the store at all (something to compare with, or a known conflict). */
export function checkNeedsStore(plan: PushCheckPlan): boolean {
  return plan.enabled && (plan.lookupNames.length > 0 || plan.collisionKeys.length > 0 || plan.needsContext);
}

/**
 * The store-dependent checks of a push: types and suffixes across groups (and against the
 * gateway's own families), then series collisions with candidate groups. Throws
 * InconsistentPushError listing the problems; does nothing when the check is disabled.
 */
export function checkPushAgainstStore(plan: PushCheckPlan, stored: StoredContext): void {
  if (!plan.enabled) {
    return;
  }
  checkConsistency(plan.pushed, [...plan.own, ...stored.existing]);
  const candidates = stored.candidates.map((c) => ({
    exposedLabels: Object.fromEntries(JSON.parse(c.exposedKey) as [string, string][]),
    families: parseProtobufDelimited(c.body),
  }));
  const problems = findSeriesCollisions(plan.families, candidates);
  if (problems.length > 0) {
    throw new InconsistentPushError(problems);
  }
}

/**
 * The index of each list of the gateway's own families: the service passes the same cached list to
 * every push, so its index is built once instead of per push.
 */
const ownIndexes = new WeakMap<readonly FamilyTypeRef[], FamilyIndex>();

function conflictsWith(pushed: FamilyTypeRef[], own: FamilyTypeRef[]): boolean {
  let index = ownIndexes.get(own);
  if (index === undefined) {
    ownIndexes.set(own, (index = familyIndex(own)));
  }
  try {
    checkConsistency(pushed, index);
    return false;
  } catch {
    return true;
  }
}
