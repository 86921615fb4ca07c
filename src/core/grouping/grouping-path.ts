import { isReservedLabelName, isValidLabelName, Labels } from 'src/core/model/labels';
import { GroupingPathError, GroupingRouteNotFoundError } from 'src/core/grouping/errors';

const BASE64_SUFFIX = '@base64';
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface GroupingPathOptions {
  /**
   * Accept `<LABEL>/<VALUE>` pairs without a leading `job/<JOB>` (the managed-service URL shape
   * `/api/v2/metrics/<LABEL>/<VALUE>...`). A `job` pair among them then names the job.
   */
  allowMissingJob?: boolean;
  /**
   * PUSH_ENABLE_UTF8_NAMES: label names are `U__`-unescaped (prometheus/common's value-encoding
   * escaping, as pushgateway 1.11 `handler/misc.go` splitLabels does) and may then be any non-empty
   * UTF-8. Off: names must be legacy names and `U__...` is taken literally.
   */
  utf8Names?: boolean;
}

/**
 * Parses the part of a push URL after `/metrics/`, still percent-encoded, e.g.
 * `job/backup/instance@base64/ZGI6NTQzMg`, into the grouping key's labels.
 *
 * Rules (upstream Pushgateway's, minus its bugs): percent-escapes are decoded before splitting, so
 * only `@base64` values can carry `/`; `@base64` values use the URL-safe alphabet with optional
 * padding and `=` alone for the empty value; the `job/<JOB>` segment wins over a `job` pair;
 * a repeated label name: the last wins. Unlike upstream, every value must be valid UTF-8.
 *
 * Throws GroupingRouteNotFoundError when the path does not start with `job` or `job@base64`
 * (404 upstream), GroupingPathError for every other problem (400).
 */
export function parseGroupingPath(encodedPath: string, options: GroupingPathOptions = {}): Labels {
  // Percent-escapes are decoded before splitting (as upstream's router does), so `%2F` separates.
  const segments = percentDecodeToBytes(encodedPath).split('/').map(latin1BytesToUtf8);
  if (segments.length === 3 && segments[2] === '') {
    // A single trailing slash after a complete path (`/metrics/job/j1/`) is ignored, as upstream does.
    segments.pop();
  }
  if (segments.slice(0, -1).some((seg) => seg === '')) {
    // An empty segment inside the path is `//` or an escaped `/`; only `@base64/=` expresses an
    // empty value there. A trailing slash is left to the pairing rules, as upstream does.
    throw new GroupingPathError('empty path segment in grouping key (check for "//" or an escaped "/" in the URL; use @base64 for such values)');
  }
  const first = segments[0];
  if (first === 'job' || first === `job${BASE64_SUFFIX}`) {
    return parseWithJob(segments, options.utf8Names === true);
  }
  if (options.allowMissingJob === true && segments.length >= 2) {
    return parseLabelPairs(segments, '', undefined, options.utf8Names === true);
  }
  throw new GroupingRouteNotFoundError('404 page not found');
}

function parseWithJob(segments: string[], utf8Names: boolean): Labels {
  if (segments.length < 2) {
    throw new GroupingRouteNotFoundError('404 page not found');
  }
  const job = segments[0] === 'job' ? segments[1] : decodeBase64Job(segments[1]);
  if (job === '') {
    throw new GroupingPathError('job name is required');
  }
  checkUtf8(job, `job name`);
  const rest = segments.slice(2);
  return parseLabelPairs(rest, rest.length === 0 ? '' : `/${rest.join('/')}`, job, utf8Names);
}

function parseLabelPairs(segments: string[], labelString: string, job: string | undefined, utf8Names: boolean): Labels {
  if (segments.length % 2 !== 0) {
    throw new GroupingPathError(`odd number of components in label string "${labelString || '/' + segments.join('/')}"`);
  }
  const labels: Labels = {};
  for (let i = 0; i < segments.length; i += 2) {
    const [name, value] = decodeLabel(segments[i], segments[i + 1], utf8Names);
    if (name === 'job' && job !== undefined) {
      continue;
    }
    labels[name] = value;
  }
  if (job !== undefined) {
    labels.job = job;
  } else if (labels.job === '') {
    throw new GroupingPathError('job name is required');
  }
  return labels;
}

function decodeLabel(rawName: string, rawValue: string, utf8Names: boolean): [string, string] {
  const isBase64 = rawName.endsWith(BASE64_SUFFIX);
  const escaped = isBase64 ? rawName.slice(0, -BASE64_SUFFIX.length) : rawName;
  if (escaped === '' && rawName === '') {
    throw new GroupingPathError('empty path segment in grouping key (check for "//" in the URL)');
  }
  const name = utf8Names ? unescapeLabelName(escaped) : escaped;
  // Upstream tests `__` on the escaped name only, so `U______x` passes as `__x` and poisons the
  // store (research note §1); the decoded name is tested too.
  const valid = utf8Names ? name !== '' : isValidLabelName(name);
  if (!valid || isReservedLabelName(escaped) || isReservedLabelName(name)) {
    throw new GroupingPathError(`improper label name ${JSON.stringify(rawName)}`);
  }
  let value = rawValue;
  if (isBase64) {
    const decoded = decodeBase64Url(rawValue);
    if (typeof decoded !== 'string') {
      throw new GroupingPathError(
        `invalid base64 encoding for label ${name}=${JSON.stringify(rawValue)}: illegal base64 data at input byte ${decoded.badByte}`,
      );
    }
    value = decoded;
  }
  checkUtf8(value, `label ${name}`);
  return [name, value];
}

/**
 * Reverses prometheus/common's value-encoding escaping (`model.UnescapeName`, escaping `values`):
 * after a `U__` prefix, `__` is `_` and `_<1 to 6 hex digits>_` is that code point. A name without
 * the prefix, or with any malformed sequence or a code point that is not a valid rune, is returned
 * unchanged.
 */
export function unescapeLabelName(name: string): string {
  if (!name.startsWith('U__')) {
    return name;
  }
  const escaped = name.slice(3);
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] !== '_') {
      out += escaped[i];
      continue;
    }
    const close = escaped.indexOf('_', i + 1);
    if (close === i + 1) {
      out += '_';
      i++;
      continue;
    }
    const hex = close < 0 ? '' : escaped.slice(i + 1, close);
    const code = /^[0-9a-fA-F]{1,6}$/.test(hex) ? parseInt(hex, 16) : -1;
    if (code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return name;
    }
    out += String.fromCodePoint(code);
    i = close;
  }
  return out;
}

function decodeBase64Job(raw: string): string {
  const decoded = decodeBase64Url(raw);
  if (typeof decoded !== 'string') {
    throw new GroupingPathError(`invalid base64 encoding in job name ${JSON.stringify(raw)}: illegal base64 data at input byte ${decoded.badByte}`);
  }
  return decoded;
}

const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;
/**
 * Marker for a value whose bytes are not valid UTF-8; rejected by checkUtf8. It starts with a lone
 * surrogate, which decoding bytes as UTF-8 never yields, so no valid value (U+0000 included) equals it.
 */
const INVALID_UTF8 = '\uDC00 invalid-utf8';

/**
 * Decodes unpadded or padded URL-safe base64 (trailing `=` ignored, as upstream does).
 * Returns the decoded UTF-8 string, INVALID_UTF8 for non-UTF-8 bytes, or the offending byte index.
 */
export function decodeBase64Url(raw: string): string | { badByte: number } {
  const trimmed = raw.replace(/=+$/, '');
  if (!BASE64URL_RE.test(trimmed)) {
    const bad = [...trimmed].findIndex((c) => !/[A-Za-z0-9_-]/.test(c));
    return { badByte: bad };
  }
  if (trimmed.length % 4 === 1) {
    return { badByte: trimmed.length - 1 };
  }
  return bytesToUtf8(Buffer.from(trimmed, 'base64url'));
}

/** Decodes %XX escapes into a string of byte values (one char per byte, latin1-style). */
function percentDecodeToBytes(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(path.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x100) {
      out += path[i];
    } else {
      out += Buffer.from(path[i], 'utf8').toString('latin1');
    }
  }
  return out;
}

function latin1BytesToUtf8(segment: string): string {
  return bytesToUtf8(Buffer.from(segment, 'latin1'));
}

function bytesToUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return INVALID_UTF8;
  }
}

function checkUtf8(value: string, what: string): void {
  if (value === INVALID_UTF8) {
    throw new GroupingPathError(`${what} is not valid UTF-8`);
  }
}
