import { compareStrings, isValidLabelName, Labels } from 'src/core/model/labels';

/**
 * Small formatting rules of the status page: ages, label order, and the URLs and selectors that
 * name one group exactly.
 */

const AGE_UNITS: [number, string][] = [
  [86400, 'd'],
  [3600, 'h'],
  [60, 'm'],
  [1, 's'],
];

/**
 * A count with a comma between groups of three digits (`12,345`), as `toLocaleString('en-US')` writes
 * it but without ICU: the first `Intl` number format of a process maps ~5 MiB of ICU's data into
 * resident memory for good (issue 14). Non-integers and non-finite values are written as they are.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) {
    return String(n);
  }
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) {
    out += `,${digits.slice(i, i + 3)}`;
  }
  return n < 0 ? `-${out}` : out;
}

/**
 * A duration in seconds as its two largest non-zero units, rounded down: `45s`, `3m 12s`, `2h`,
 * `4d 1h`. Negative input (a clock ahead of this replica's) and anything under a second is `0s`.
 */
export function formatAge(seconds: number): string {
  let rest = Math.max(0, Math.floor(seconds));
  const parts: string[] = [];
  for (const [size, unit] of AGE_UNITS) {
    if (parts.length === 2) {
      break;
    }
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    } else if (parts.length > 0) {
      // Stop at the first gap: "1d 0h 5m" would read as "1d 5m", which is not two units of precision.
      break;
    }
  }
  return parts.length === 0 ? '0s' : parts.join(' ');
}

/** Grouping labels in display order: `job` first (it names the group), the rest by name. */
export function orderedLabels(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a === b ? 0 : a === 'job' ? -1 : b === 'job' ? 1 : compareStrings(a, b)));
}

/**
 * The path, relative to the route prefix, that addresses exactly this grouping key for an upstream
 * `DELETE` (and PUT/POST): `metrics/job/<job>/<name>/<value>...`, or the managed-service form
 * `api/v2/metrics/<name>/<value>...` for a group without a job. Plain values are written as they
 * are; any value that the path could not carry verbatim uses the `@base64` form. That covers `/`
 * (even escaped, the path is split after decoding), the empty value, and `.`/`..` (a browser folds
 * those segments away, escaped or not). With `utf8Names` (PUSH_ENABLE_UTF8_NAMES, under which the
 * push route decodes `U__` names) label names that are not legacy names, or that start with `U__`,
 * are `U__`-escaped; without it names are written as they are, as the route then reads them.
 */
export function groupPath(labels: Labels, options: { utf8Names: boolean }): string {
  const pairs = orderedLabels(labels)
    .filter(([name]) => name !== 'job')
    .map(([name, value]) => pathPair(name, value, options.utf8Names))
    .join('');
  return labels.job === undefined ? `api/v2/metrics${pairs}` : `metrics${pathPair('job', labels.job, false)}${pairs}`;
}

const PLAIN_VALUE = /^[A-Za-z0-9_.~-]+$/;

function pathPair(name: string, value: string, utf8Names: boolean): string {
  const written = utf8Names && (!isValidLabelName(name) || name.startsWith('U__')) ? escapeLabelName(name) : name;
  if (PLAIN_VALUE.test(value) && value !== '.' && value !== '..') {
    return `/${written}/${value}`;
  }
  // '=' alone is the empty value; otherwise padding is optional and left out.
  const encoded = value === '' ? '=' : Buffer.from(value, 'utf8').toString('base64url');
  return `/${written}@base64/${encoded}`;
}

/**
 * prometheus/common's `values` escaping of a name (`model.EscapeName`), which the push route undoes
 * (unescapeLabelName): `U__`, then `_` doubled, letters and digits kept, every other code point as
 * `_<hex>_`.
 */
export function escapeLabelName(name: string): string {
  let out = 'U__';
  for (const ch of name) {
    if (ch === '_') {
      out += '__';
    } else if (/^[A-Za-z0-9]$/.test(ch)) {
      out += ch;
    } else {
      out += `_${(ch.codePointAt(0) ?? 0).toString(16)}_`;
    }
  }
  return out;
}

/**
 * A label name as Prometheus 3 writes it in a label set (`{"some.label"="v"}`): a legacy name
 * (`[a-zA-Z_][a-zA-Z0-9_]*`) bare, any other name (possible under PUSH_ENABLE_UTF8_NAMES) in double
 * quotes with the escapes label values get on this page.
 */
export function displayLabelName(name: string): string {
  return isValidLabelName(name) ? name : JSON.stringify(name);
}

/**
 * A selector over grouping labels that matches this group (`{job="backup",instance="db1"}`), in
 * the syntax parseGroupSelector reads: names that are not legacy names quoted, values as JSON
 * strings (whose escapes are a subset of PromQL's). It matches groups with more labels too.
 */
export function groupSelector(labels: Labels): string {
  const quote = (s: string): string => JSON.stringify(s);
  return `{${orderedLabels(labels)
    .map(([name, value]) => `${displayLabelName(name)}=${quote(value)}`)
    .join(',')}}`;
}
