import { Labels, labelValue } from 'src/core/model/labels';
import { MetricType, TEXT_TYPE_NAMES } from 'src/core/model/metric-family';
import { formatAge, groupPath, groupSelector, orderedLabels } from 'src/core/status-page/format';
import { parseSampleLine } from 'src/core/status-page/sample-line';
import { countSampleLines } from 'src/core/status-page/store-counts';

/** A stored family as the status page needs it (StoredFamily fits). */
export interface ViewableFamily {
  name: string;
  type: MetricType;
  help: string;
  /** Unix seconds of the push that last wrote this family. */
  pushedAt: number;
  /** Pre-rendered sample lines, each ending in `\n`. */
  exposition: string;
}

/** A stored group as the status page needs it (StoredGroup fits). */
export interface ViewableGroup {
  tenant: string;
  labels: Labels;
  /** The labels every series of the group carries (grouping key, `instance`, tenant label). */
  exposedLabels: Labels;
  /** Unix seconds of the last successful push; 0 when there was none. */
  pushTime: number;
  /** Unix seconds of the last refused push; 0 when there was none. */
  pushFailureTime: number;
  /** Unix seconds when the group expires (TTL); undefined: never. */
  expiresAt?: number;
  families: readonly ViewableFamily[];
}

export interface GroupViewOptions {
  /** Unix seconds. */
  now: number;
  /** Mark the group stale when its last successful push is older than this. */
  staleMs?: number;
  /** Sample lines shown per family; the rest are counted in FamilyView.hidden. */
  maxLines: number;
  /**
   * The tenant an exact-key DELETE by this viewer acts on ('' without auth or for an operator);
   * undefined when the viewer may not delete. Only groups of that tenant get a delete path.
   */
  deleteTenant?: string;
  /** PUSH_ENABLE_UTF8_NAMES, which decides how label names are written in the delete path. */
  utf8Names: boolean;
}

/** A point in time, absolute and relative to GroupViewOptions.now. */
export interface TimeView {
  unix: number;
  /** RFC 3339, UTC, millisecond precision. */
  iso: string;
  /** Distance from now, formatAge style (`3m 12s`), without "ago" or "in". */
  distance: string;
}

/** One row of a family's table; `raw` holds a line that could not be read (shown as is). */
export interface SeriesRow {
  name: string;
  /** The series' labels other than the ones every series of the group carries. */
  labels: [string, string][];
  value: string;
  raw?: string;
}

export interface FamilyView {
  name: string;
  /** `counter`, `gauge`, `summary`, `histogram`, `gaugehistogram` or `untyped`. */
  type: string;
  help: string;
  pushedAt: TimeView;
  rows: SeriesRow[];
  /** Sample lines left out by GroupViewOptions.maxLines. */
  hidden: number;
}

/** Everything the status page shows about one group, computed from the stored group alone. */
export interface GroupView {
  /** Grouping labels, job first. */
  labels: [string, string][];
  tenant: string;
  lastPush?: TimeView;
  lastFailure?: TimeView;
  /** Upstream's "Last push failed!": a push was refused after the last successful one. */
  lastPushFailed: boolean;
  /** Why the group is stale (`no push for 2h 5m`), when it is. */
  stale?: string;
  expires?: TimeView;
  /** Exact-key push URL path below the route prefix, when this viewer may delete the group. */
  deletePath?: string;
  /** A selector that lists this group (for a permalink). */
  selector: string;
  familyCount: number;
  /** Sample lines across all families (every bucket, quantile, `_sum` and `_count`). */
  seriesCount: number;
  families: FamilyView[];
}

/** Builds a group's view; pure, and never longer than maxLines rows per family. */
export function groupView(group: ViewableGroup, options: GroupViewOptions): GroupView {
  const { now } = options;
  const time = (unix: number): TimeView => ({ unix, iso: new Date(unix * 1000).toISOString(), distance: formatAge(Math.abs(now - unix)) });
  const stale =
    options.staleMs !== undefined && (now - group.pushTime) * 1000 > options.staleMs
      ? group.pushTime > 0
        ? `no push for ${formatAge(now - group.pushTime)}`
        : 'no successful push'
      : undefined;
  let seriesCount = 0;
  const families = group.families.map((f) => {
    const view = familyView(f, group.exposedLabels, options.maxLines, time);
    seriesCount += view.rows.length + view.hidden;
    return view;
  });
  return {
    labels: orderedLabels(group.labels),
    tenant: group.tenant,
    lastPush: group.pushTime > 0 ? time(group.pushTime) : undefined,
    lastFailure: group.pushFailureTime > 0 ? time(group.pushFailureTime) : undefined,
    lastPushFailed: group.pushFailureTime > group.pushTime,
    stale,
    expires: group.expiresAt === undefined ? undefined : time(group.expiresAt),
    deletePath: options.deleteTenant === group.tenant ? groupPath(group.labels, { utf8Names: options.utf8Names }) : undefined,
    selector: groupSelector(group.labels),
    familyCount: families.length,
    seriesCount,
    families,
  };
}

function familyView(f: ViewableFamily, exposed: Labels, maxLines: number, time: (unix: number) => TimeView): FamilyView {
  const rows: SeriesRow[] = [];
  let hidden = 0;
  let start = 0;
  // Walks the text once and stops parsing at maxLines: a family can hold many thousands of series.
  while (start < f.exposition.length) {
    let end = f.exposition.indexOf('\n', start);
    if (end < 0) {
      end = f.exposition.length;
    }
    if (rows.length < maxLines) {
      rows.push(seriesRow(f.exposition.slice(start, end), exposed));
    } else {
      hidden = countSampleLines(f.exposition.slice(start));
      break;
    }
    start = end + 1;
  }
  return { name: f.name, type: TEXT_TYPE_NAMES[f.type] ?? 'untyped', help: f.help, pushedAt: time(f.pushedAt), rows, hidden };
}

function seriesRow(line: string, exposed: Labels): SeriesRow {
  const sample = parseSampleLine(line);
  if (sample === undefined) {
    return { name: '', labels: [], value: '', raw: line };
  }
  return { name: sample.name, labels: sample.labels.filter(([n, v]) => labelValue(exposed, n) !== v), value: sample.value };
}
