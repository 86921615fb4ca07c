import { compareStrings, Labels } from 'src/core/model/labels';
import { canonicalLabels } from 'src/core/grouping/grouping-key';
import { parseExpr } from 'src/core/promql/parser';
import type { LabelMatcher } from 'src/core/promql/series-source';
import { compileMatchers, matchesAll, ValuePredicate } from 'src/core/promql/matchers';

/**
 * Which groups a request of the group API or the status page means: any of `selectors` (each a
 * list of matchers over grouping labels that must all hold; none given: every group), and the
 * last successful push within the optional bounds.
 */
export interface GroupSelection {
  selectors: LabelMatcher[][];
  /** Only groups whose last successful push is before this (Unix seconds). */
  pushedBefore?: number;
  /** Only groups whose last successful push is at or after this (Unix seconds). */
  pushedAfter?: number;
}

/** A `match[]` value that is not a selector over grouping labels. */
export class GroupSelectorError extends Error {}

/**
 * Parses one `match[]` value, PromQL selector syntax over grouping labels: `{job="backup",
 * instance=~"db.*"}` (a metric name before the braces is not allowed: groups have none). Regexes
 * are RE2, fully anchored, as in PromQL. Throws GroupSelectorError.
 */
export function parseGroupSelector(text: string): LabelMatcher[] {
  if (!/^\s*\{/.test(text)) {
    throw new GroupSelectorError(`match[] ${JSON.stringify(text)}: expected a selector over grouping labels such as {job="backup"}`);
  }
  let matchers: LabelMatcher[];
  try {
    const expr = parseExpr(text);
    if (expr.type !== 'VectorSelector' || expr.offsetMs !== 0 || expr.at !== undefined) {
      throw new Error('expected a selector such as {job="backup"}');
    }
    matchers = expr.matchers;
  } catch (error) {
    throw new GroupSelectorError(`match[] ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
  return matchers;
}

/** A compiled GroupSelection: call it with a group's grouping labels and last push time. */
export type GroupPredicate = (group: { labels: Labels; pushTime: number }) => boolean;

/** Compiles a selection once (regexes included) into a predicate. */
export function compileSelection(selection: GroupSelection): GroupPredicate {
  const compiled: [string, ValuePredicate][][] = selection.selectors.map((s) => compileMatchers(s));
  const { pushedBefore, pushedAfter } = selection;
  return (group) =>
    (pushedBefore === undefined || group.pushTime < pushedBefore) &&
    (pushedAfter === undefined || group.pushTime >= pushedAfter) &&
    (compiled.length === 0 || compiled.some((predicates) => matchesAll(group.labels, predicates)));
}

/** True when the selection restricts anything (a bulk delete must). */
export function isRestricted(selection: GroupSelection): boolean {
  return selection.selectors.length > 0 || selection.pushedBefore !== undefined || selection.pushedAfter !== undefined;
}

/**
 * A time bound of the group API: RFC 3339 (`2026-12-02T10:00:00Z`) or Unix seconds (`1764669600`,
 * fractions allowed), as Prometheus' API accepts times. Returns Unix seconds; throws
 * GroupSelectorError naming the parameter.
 */
export function parseTimeBound(name: string, text: string): number {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) {
    return Number(text);
  }
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) {
    throw new GroupSelectorError(`${name}: expected RFC 3339 or Unix seconds, got ${JSON.stringify(text)}`);
  }
  return ms / 1000;
}

/** What paging needs of a group. */
export interface PagedGroup {
  tenant: string;
  labels: Labels;
  pushTime: number;
}

/** One page of a listing: `order` 'key' (grouping key, ascending) or 'push' (last push, newest first). */
export interface PageRequest {
  limit: number;
  /** From the previous page's `nextCursor`; undefined for the first page. */
  cursor?: string;
  order: 'key' | 'push';
}

export interface Page<T> {
  items: T[];
  /** Every group the selection matches, across all pages. */
  total: number;
  /** Pass as `cursor` for the next page; undefined on the last one. */
  nextCursor?: string;
}

/**
 * The page of `groups` that `predicate` selects, after `cursor`. The cursor is an opaque string
 * (the last item's sort position), so pages stay stable while groups are pushed or deleted between
 * requests: nothing is skipped or repeated except what changed. Throws GroupSelectorError for a
 * cursor this function did not make.
 */
export function pageOf<T extends PagedGroup>(groups: readonly T[], predicate: GroupPredicate, request: PageRequest): Page<T> {
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, request.order);
  const selected = groups.filter(predicate).map((g) => ({ g, pos: positionOf(g, request.order) }));
  selected.sort((a, b) => comparePositions(a.pos, b.pos));
  const start = after === undefined ? 0 : firstAfter(selected, after);
  const slice = selected.slice(start, start + Math.max(1, request.limit));
  const last = slice[slice.length - 1];
  const more = start + slice.length < selected.length;
  return {
    items: slice.map((s) => s.g),
    total: selected.length,
    nextCursor: more && last !== undefined ? encodeCursor(last.pos, request.order) : undefined,
  };
}

/** Sort position: for 'push' the negated push time first (newest first), then tenant and key. */
type Position = [number, string, string];

function positionOf(g: PagedGroup, order: 'key' | 'push'): Position {
  return [order === 'push' ? -g.pushTime : 0, g.tenant, canonicalLabels(g.labels)];
}

function comparePositions(a: Position, b: Position): number {
  return a[0] - b[0] || compareStrings(a[1], b[1]) || compareStrings(a[2], b[2]);
}

function firstAfter(sorted: { pos: Position }[], after: Position): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (comparePositions(sorted[mid].pos, after) <= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

function encodeCursor(pos: Position, order: 'key' | 'push'): string {
  return Buffer.from(JSON.stringify([order, ...pos]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, order: 'key' | 'push'): Position {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 4 &&
      parsed[0] === order &&
      typeof parsed[1] === 'number' &&
      typeof parsed[2] === 'string' &&
      typeof parsed[3] === 'string'
    ) {
      return [parsed[1], parsed[2], parsed[3]];
    }
  } catch {
    // reported below
  }
  throw new GroupSelectorError('cursor: not a cursor of this listing (pass back nextCursor unchanged, with the same order)');
}
