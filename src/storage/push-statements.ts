import { formatLabels } from 'src/core/grouping/grouping-key';
import { Labels } from 'src/core/model/labels';
import { MetricFamily } from 'src/core/model/metric-family';
import { encodeFamilyDelimited } from 'src/core/exposition/protobuf-delimited';
import { encodeSamples } from 'src/core/exposition/text-encoder';
import { PushCheckPlan, StoredContext } from 'src/core/consistency/push-check';
import { BinaryElement, binaryArray } from 'src/storage/pg-arrays';
import { fromDbLabels, fromDbText, toDbJson, toDbText } from 'src/storage/db-text';
import type { PushHistoryArgs } from 'src/storage/history-writer';
import { runAll, runPaused, Steps } from 'src/core/model/steps';

/**
 * The calls of the push protocol's SQL functions (migrations/sql/push.v2.sql), the only place that
 * knows their arguments. Every argument is passed by name (`p_tenant => $4::text`), and each is
 * defined once below with its SQL type, so a new column is one entry here and one in the SQL file,
 * and a misspelt or missing argument fails on the first call instead of shifting the others.
 */

/** Identifies one group: a tenant ('' without auth) and its canonical grouping key. */
export interface GroupRef {
  tenant: string;
  groupingKey: string;
  /** The labels the group's series are exposed with (see exposedGroupLabels). */
  exposedLabels: Labels;
  /** Canonical form of exposedLabels; unique across the store. */
  exposedKey: string;
  labels: Labels;
}

/** One PUT/POST, sanitised and validated, as storage writes it. */
export interface PushWrite {
  group: GroupRef;
  /** 'replace' (PUT) drops every family of the group first; 'merge' (POST) only same-named ones. */
  mode: 'replace' | 'merge';
  /** Unix seconds. */
  now: number;
  /** Seconds until the group expires, counted from this push; undefined: never. */
  ttlSeconds?: number;
  /** What the consistency check needs (its families are the sanitised families written). */
  plan: PushCheckPlan;
}

/** A statement ready for Executor.named. */
export interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

/** A parameter value before encoding: scalars as `pg` sends them, arrays as JavaScript arrays. */
type Value = string | number | boolean | null | readonly string[] | readonly number[] | readonly Buffer[];

type Arg = readonly [name: string, sqlType: string, value: Value];

/**
 * The wire form of a parameter: arrays in PostgreSQL's binary format (see binaryArray), scalars
 * left to `pg`.
 */
function encoded(sqlType: string, value: Value): unknown {
  if (!sqlType.endsWith('[]')) {
    return value;
  }
  return binaryArray(sqlType.slice(0, -2) as BinaryElement, value as readonly (string | number | boolean | Buffer | null)[]);
}

/** Each function's statement text, built on its first call (every call of a function passes the same arguments). */
const statementTexts = new Map<string, { names: string[]; text: string }>();

function statementText(fn: string, args: readonly Arg[], columns: string): string {
  const known = statementTexts.get(fn);
  if (known !== undefined && known.names.length === args.length && args.every(([name], i) => known.names[i] === name)) {
    return known.text;
  }
  const list = args.map(([name, sqlType], i) => `${name} => $${i + 1}::${sqlType}`).join(', ');
  const text = `SELECT ${columns} FROM ${fn}(${list})`;
  statementTexts.set(fn, { names: args.map(([name]) => name), text });
  return text;
}

const PUSH_ROW_COLUMNS = 'kind, name, type, detail, body';

function call(fn: string, args: readonly Arg[], columns = PUSH_ROW_COLUMNS): Statement {
  return runAll(callSteps(fn, args, columns));
}

/** Elements of an array parameter after whose encoding callSteps yields (only a large push has such arrays). */
const LARGE_ARRAY_ELEMENTS = 10_000;

/** call() in steps: yields after encoding each array parameter of LARGE_ARRAY_ELEMENTS or more. */
function* callSteps(fn: string, args: readonly Arg[], columns: string): Steps<Statement> {
  const values = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) {
    const value = args[i][2];
    values[i] = encoded(args[i][1], value);
    if (Array.isArray(value) && value.length >= LARGE_ARRAY_ELEMENTS) {
      yield;
    }
  }
  return { name: fn, text: statementText(fn, args, columns), values };
}

function lockArgs(w: PushWrite): Arg[] {
  const pushedType = new Map(w.plan.families.map((f) => [f.name, f.type as number]));
  return [
    ['p_group_lock', 'text', `{group}${JSON.stringify([w.group.tenant, w.group.groupingKey])}`],
    ['p_lookup', 'text[]', w.plan.lookupNames.map(toDbText)],
    ['p_lookup_types', 'int2[]', w.plan.lookupNames.map((n) => pushedType.get(n) ?? -1)],
  ];
}

function keyArgs(w: PushWrite): Arg[] {
  return [
    ['p_tenant', 'text', w.group.tenant],
    ['p_key', 'text', w.group.groupingKey],
    ['p_replace', 'bool', w.mode === 'replace'],
    ['p_pushed', 'text[]', w.plan.families.map((f) => toDbText(f.name))],
  ];
}

function candidateArgs(w: PushWrite): Arg[] {
  return [['p_candidates', 'text[]', w.plan.families.length > 0 ? w.plan.collisionKeys : []]];
}

function suspectArgs(w: PushWrite): Arg[] {
  const s = suspectRanges(w.plan.suspectMasks);
  return [
    ['p_suspect_idx', 'int2[]', s.idx],
    ['p_suspect_lo', 'int2[]', s.lo],
    ['p_suspect_hi', 'int2[]', s.hi],
  ];
}

function groupArgs(w: PushWrite, families: MetricFamily[]): Arg[] {
  return [
    ['p_exposed_key', 'text', w.group.exposedKey],
    ['p_labels', 'jsonb', toDbJson(w.group.labels)],
    ['p_now', 'float8', w.now],
    ['p_ttl', 'float8', w.ttlSeconds ?? null],
    ['f_types', 'int2[]', families.map((f) => f.type)],
    ['f_helps', 'text[]', families.map((f) => toDbText(f.help))],
    ['f_bodies', 'bytea[]', families.map((f) => encodeFamilyDelimited(f))],
    ['f_expositions', 'text[]', families.map((f) => toDbText(encodeSamples(f)))],
  ];
}

function historyArgs(h: PushHistoryArgs | undefined): Arg[] {
  return [
    ['h_enabled', 'bool', h !== undefined],
    ['h_t', 'int8', h?.t ?? 0],
    ['h_names', 'text[]', h?.names ?? []],
    ['h_families', 'text[]', h?.families ?? []],
    ['h_labels', 'text[]', h?.labels ?? []],
    ['h_keys', 'text[]', h?.keys ?? []],
    ['h_values', 'float8[]', h?.values ?? []],
    ['h_family_list', 'text[]', h?.familyList ?? []],
    ['h_record', 'bool', h?.record ?? false],
    ['h_days', 'int8[]', h?.days ?? []],
  ];
}

function probeArgs(w: PushWrite, history: PushHistoryArgs | undefined): Arg[] {
  return runAll(probeArgSteps(w, history));
}

/** pgw_push_probe's arguments, in steps between the parts whose work grows with a push's series. */
function* probeArgSteps(w: PushWrite, history: PushHistoryArgs | undefined): Steps<Arg[]> {
  const args = [...lockArgs(w), ...keyArgs(w), ...suspectArgs(w), ...candidateArgs(w)];
  yield;
  args.push(...groupArgs(w, w.plan.families));
  yield;
  args.push(...historyArgs(history));
  return args;
}

/** The one-statement push: locks, then the check's context (nothing written) or the write. */
export function probeStatement(w: PushWrite, history: PushHistoryArgs | undefined): Statement {
  return runAll(probeSteps(w, history));
}

/**
 * probeStatement for a large push, with `pause` awaited between its parts (the families' encodings,
 * the history's arguments, each large array parameter; see runPaused).
 */
export function probeStatementPaused(w: PushWrite, history: PushHistoryArgs | undefined, pause: () => Promise<void>): Promise<Statement> {
  return runPaused(probeSteps(w, history), pause);
}

function* probeSteps(w: PushWrite, history: PushHistoryArgs | undefined): Steps<Statement> {
  return yield* callSteps('pgw_push_probe', yield* probeArgSteps(w, history), PUSH_ROW_COLUMNS);
}

/**
 * Which offsets array of pgw_push_batch slices each per-push array of pgw_push_probe: the arrays
 * of one push that have one element per pushed family share one, and so on.
 */
const BATCH_OFFSETS: Readonly<Record<string, string>> = {
  p_lookup: 'o_lookup',
  p_lookup_types: 'o_lookup',
  p_pushed: 'o_pushed',
  f_types: 'o_pushed',
  f_helps: 'o_pushed',
  f_bodies: 'o_pushed',
  f_expositions: 'o_pushed',
  p_suspect_idx: 'o_suspect',
  p_suspect_lo: 'o_suspect',
  p_suspect_hi: 'o_suspect',
  p_candidates: 'o_candidates',
  h_names: 'o_series',
  h_families: 'o_series',
  h_labels: 'o_series',
  h_keys: 'o_series',
  h_values: 'o_series',
  h_family_list: 'o_family_list',
  h_days: 'o_days',
};

/**
 * Several pushes to pairwise different groups as one statement (group commit, see push.v3.sql):
 * pgw_push_probe's arguments of every push, scalars gathered into arrays, arrays concatenated with
 * their offsets. Answers PushRow plus `idx`, the 1-based position of the push in `pushes`.
 */
export function batchStatement(pushes: readonly { write: PushWrite; history: PushHistoryArgs | undefined }[]): Statement {
  const perPush = pushes.map((p) => probeArgs(p.write, p.history));
  const args: Arg[] = [];
  const offsets = new Map<string, number[]>();
  perPush[0].forEach(([name, sqlType], k) => {
    const column = perPush.map((a) => a[k][2]);
    const offsetName = BATCH_OFFSETS[name];
    if (offsetName === undefined) {
      args.push([name, `${sqlType}[]`, column as string[] | number[]]);
      return;
    }
    args.push([name, sqlType, concatenated(column as readonly (readonly unknown[])[]) as string[] | number[] | Buffer[]]);
    if (!offsets.has(offsetName)) {
      let at = 0;
      offsets.set(offsetName, [0, ...column.map((c) => (at += (c as readonly unknown[]).length))]);
    }
  });
  for (const [name, at] of offsets) {
    args.push([name, 'int4[]', at]);
  }
  return call('pgw_push_batch', args, 'idx, kind, name, type, detail, body');
}

/** The arrays one after the other (Array.prototype.flat is several times slower on V8). */
function concatenated(arrays: readonly (readonly unknown[])[]): unknown[] {
  const out: unknown[] = [];
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      out.push(a[i]);
    }
  }
  return out;
}

/** The locked read of the transactional path: locks, then the check's context. */
export function readStatement(w: PushWrite): Statement {
  return call('pgw_push_read', [...lockArgs(w), ...keyArgs(w), ...candidateArgs(w)]);
}

/** The write of the transactional path (its transaction holds the locks and ran the check). */
export function writeStatement(w: PushWrite, history: PushHistoryArgs | undefined): Statement {
  return call('pgw_push_write', [...keyArgs(w), ...groupArgs(w, w.plan.families), ...historyArgs(history)], 'pgw_push_write::text AS detail');
}

/** A row of pgw_push_probe / pgw_push_read: context ('t', 'c'), or one 'w' with the written group's id as detail. */
export interface PushRow {
  /** pgw_push_batch only: the 1-based position of the push the row belongs to. */
  idx?: number;
  kind: 't' | 'c' | 'w';
  name: string;
  type: number | null;
  detail: string;
  body: Buffer | null;
}

/** Whether the probe wrote the push (otherwise its rows are the check's context). */
export function wasWritten(rows: PushRow[]): boolean {
  return rows.length === 1 && rows[0].kind === 'w';
}

/** The check's context from the rows of a probe or read. */
export function storedContextOf(rows: PushRow[]): StoredContext {
  const context: StoredContext = { existing: [], candidates: [] };
  for (const r of rows) {
    if (r.kind === 't') {
      context.existing.push({ name: fromDbText(r.name), type: r.type ?? 0, where: `group ${formatLabels(fromDbLabels(JSON.parse(r.detail) as Labels))}` });
    } else if (r.kind === 'c') {
      context.candidates.push({ exposedKey: r.detail, name: fromDbText(r.name), body: r.body ?? Buffer.alloc(0) });
    }
  }
  return context;
}

/** Each mask's runs of consecutive type bits as (1-based mask index, first type, last type). */
export function suspectRanges(masks: readonly number[]): { idx: number[]; lo: number[]; hi: number[] } {
  const out = { idx: [] as number[], lo: [] as number[], hi: [] as number[] };
  masks.forEach((mask, i) => {
    for (let t = 0; t < 16; t++) {
      if ((mask & (1 << t)) !== 0 && (t === 0 || (mask & (1 << (t - 1))) === 0)) {
        let end = t;
        while ((mask & (1 << (end + 1))) !== 0) {
          end++;
        }
        out.idx.push(i + 1);
        out.lo.push(t);
        out.hi.push(end);
      }
    }
  });
  return out;
}
