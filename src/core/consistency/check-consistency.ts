import { MetricType } from 'src/core/model/metric-family';
import { InconsistentPushError } from 'src/core/consistency/errors';
import { derivedNames, typeName } from 'src/core/consistency/family-names';

/** A family name with its type, and where it lives (for error messages). */
export interface FamilyTypeRef {
  name: string;
  type: MetricType;
  /** e.g. `group {job="a"}` or `the gateway's own metrics`. */
  where?: string;
}

/**
 * Every stored family name that could conflict with the pushed families: the names themselves,
 * the `_bucket`/`_sum`/`_count` names a pushed histogram or summary exposes, and the base name of
 * a pushed `x_sum`/`x_count`/`x_bucket` (which clashes with a stored histogram or summary `x`).
 * The store looks these up by index, so the check costs what is pushed, not what is stored.
 */
export function consistencyLookupNames(pushed: FamilyTypeRef[]): string[] {
  const names = new Set<string>();
  for (const { name, type } of pushed) {
    names.add(name);
    for (const derived of derivedNames(name, type)) {
      names.add(derived);
    }
    const base = /^(.*)_(sum|count|bucket)$/.exec(name);
    if (base !== null) {
      names.add(base[1]);
    }
  }
  return [...names];
}

/** Families by name (the last of a name wins), what checkConsistency compares with. */
export type FamilyIndex = ReadonlyMap<string, FamilyTypeRef>;

export function familyIndex(families: readonly FamilyTypeRef[]): FamilyIndex {
  const byName = new Map<string, FamilyTypeRef>();
  for (const f of families) {
    byName.set(f.name, f);
  }
  return byName;
}

/**
 * Checks pushed family types against families stored elsewhere (other groups, or the gateway's own
 * metrics): the same name must have the same type, and a histogram/summary must not collide with
 * another family's `_bucket`/`_sum`/`_count` name. `existing` must not contain the families this
 * push replaces; a FamilyIndex of them may be passed instead (built once for a list checked often).
 * Throws InconsistentPushError naming each conflict.
 */
export function checkConsistency(pushed: FamilyTypeRef[], existing: FamilyTypeRef[] | FamilyIndex): void {
  const byName = Array.isArray(existing) ? familyIndex(existing) : existing;
  const problems: string[] = [];
  for (const p of pushed) {
    const same = byName.get(p.name);
    if (same !== undefined && same.type !== p.type) {
      problems.push(`metric "${p.name}" is pushed as ${typeName(p.type)} but is a ${typeName(same.type)} in ${same.where ?? 'another group'}`);
    }
    for (const derived of derivedNames(p.name, p.type)) {
      const clash = byName.get(derived);
      if (clash !== undefined) {
        problems.push(`collected histogram or summary named "${p.name}" collides with metric named "${derived}" in ${clash.where ?? 'another group'}`);
      }
    }
    const base = /^(.*)_(sum|count|bucket)$/.exec(p.name);
    const owner = base === null ? undefined : byName.get(base[1]);
    if (owner !== undefined && derivedNames(owner.name, owner.type).includes(p.name)) {
      problems.push(`metric "${p.name}" collides with the ${typeName(owner.type).toLowerCase()} "${owner.name}" in ${owner.where ?? 'another group'}`);
    }
  }
  if (problems.length > 0) {
    throw new InconsistentPushError(problems);
  }
}

/** Every MetricType value a stored family can have. */
const STORED_TYPES: MetricType[] = [
  MetricType.COUNTER,
  MetricType.GAUGE,
  MetricType.SUMMARY,
  MetricType.UNTYPED,
  MetricType.HISTOGRAM,
  MetricType.GAUGE_HISTOGRAM,
];

const EVERY_STORED_TYPE = STORED_TYPES.reduce((mask, type) => mask | (1 << type), 0);

/**
 * For each of `lookupNames`, a bit mask of the types (bit `1 << type`) a stored family of that
 * name (outside what the push replaces) may not have: one such family would make
 * checkConsistency(pushed, ...) throw. The store only has to look for these, and when it finds
 * none, the push passes the type check without the store's context ever reaching this process.
 * Same three rules as checkConsistency.
 */
export function suspectTypeMasks(pushed: FamilyTypeRef[], lookupNames: string[]): number[] {
  const sameName = new Map<string, Set<MetricType>>();
  const anyType = new Set<string>();
  const baseOf = new Map<string, string[]>();
  for (const p of pushed) {
    let types = sameName.get(p.name);
    if (types === undefined) {
      sameName.set(p.name, (types = new Set()));
    }
    types.add(p.type);
    for (const derived of derivedNames(p.name, p.type)) {
      anyType.add(derived);
    }
    const base = /^(.*)_(sum|count|bucket)$/.exec(p.name);
    if (base !== null) {
      baseOf.set(base[1], [...(baseOf.get(base[1]) ?? []), p.name]);
    }
  }
  return lookupNames.map((name) => {
    if (anyType.has(name)) {
      return EVERY_STORED_TYPE;
    }
    let mask = 0;
    const pushedTypes = sameName.get(name);
    const bases = baseOf.get(name);
    for (const type of STORED_TYPES) {
      const suspect =
        (pushedTypes !== undefined && (pushedTypes.size > 1 || !pushedTypes.has(type))) ||
        (bases !== undefined && derivedNames(name, type).some((d) => bases.includes(d)));
      if (suspect) {
        mask |= 1 << type;
      }
    }
    return mask;
  });
}
