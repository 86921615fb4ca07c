import { ESCAPING_SCHEMES, EscapingScheme } from 'src/core/exposition/escaping';

/** Media type of protobuf-delimited MetricFamily streams. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.google.protobuf';
export const PROTOBUF_DELIMITED_CONTENT_TYPE = `${PROTOBUF_MEDIA_TYPE}; proto=io.prometheus.client.MetricFamily; encoding=delimited`;
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

function parseMediaRanges(header: string): MediaRange[] {
  return header.split(',').map((part) => {
    const [type, ...rest] = part.split(';');
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) {
        params[p.slice(0, eq).trim().toLowerCase()] = p
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1');
      }
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    return { type: type.trim().toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
  });
}

function isDelimitedProtobuf(m: MediaRange): boolean {
  return m.type === PROTOBUF_MEDIA_TYPE && m.params.proto === 'io.prometheus.client.MetricFamily' && m.params.encoding === 'delimited';
}

/**
 * True when a push body is protobuf-delimited: the media type and both `proto` and
 * `encoding=delimited` parameters must match (any order); everything else is text, as upstream.
 */
export function isProtobufPush(contentType: string | undefined): boolean {
  return contentType !== undefined && isDelimitedProtobuf(parseMediaRanges(contentType)[0]);
}

/** Media type of OpenMetrics text. */
export const OPENMETRICS_MEDIA_TYPE = 'application/openmetrics-text';

/**
 * True when a push body is OpenMetrics text: the media type alone decides (any `version`), since
 * OpenMetrics 1.0 is the only version there is. Upstream reads such bodies as text 0.0.4.
 */
export function isOpenMetricsPush(contentType: string | undefined): boolean {
  return contentType !== undefined && parseMediaRanges(contentType)[0].type === OPENMETRICS_MEDIA_TYPE;
}

/** What a scrape answers: the format, the name escaping, and the Content-Type saying both. */
export interface ScrapeFormat {
  format: 'text' | 'protobuf' | 'openmetrics';
  escaping: EscapingScheme;
  contentType: string;
}

/**
 * Upstream 1.11.3's scrape negotiation (prometheus/common `expfmt/encode.go` Negotiate, never the
 * OpenMetrics variant; research note §2). Accept clauses are walked by falling q (more specific
 * types first at equal q, as goautoneg sorts); the escaping starts as `underscores` and every
 * clause walked up to the chosen one that carries a known `escaping=` sets it, chosen or not.
 * The first delimited-protobuf clause or `text/plain` with version 0.0.4 or none is chosen;
 * otherwise text. `text/plain;version=1.0.0` and OpenMetrics never match. Protobuf's text and
 * compact-text encodings, which upstream answers in formats this gateway does not write, are
 * skipped like unknown types. With `openMetrics` (SCRAPE_OPENMETRICS), an OpenMetrics clause is
 * chosen like the others.
 */
export function negotiateScrape(accept: string | undefined, options: { openMetrics?: boolean } = {}): ScrapeFormat {
  let escaping: EscapingScheme = 'underscores';
  const ranges = accept === undefined || accept.trim() === '' ? [] : parseMediaRanges(accept);
  for (const r of sortByPreference(ranges)) {
    const e = r.params.escaping as EscapingScheme | undefined;
    if (e !== undefined && ESCAPING_SCHEMES.includes(e)) {
      escaping = e;
    }
    if (isDelimitedProtobuf(r)) {
      return { format: 'protobuf', escaping, contentType: `${PROTOBUF_DELIMITED_CONTENT_TYPE}; escaping=${escaping}` };
    }
    // With SCRAPE_OPENMETRICS, as prometheus/common's NegotiateIncludingOpenMetrics: version 1.0.0,
    // else (0.0.1 or none) 0.0.1; the two differ only in the version this answer states.
    if (options.openMetrics === true && r.type === OPENMETRICS_MEDIA_TYPE) {
      const version = r.params.version === '1.0.0' ? '1.0.0' : '0.0.1';
      return { format: 'openmetrics', escaping, contentType: `${OPENMETRICS_MEDIA_TYPE}; version=${version}; charset=utf-8; escaping=${escaping}` };
    }
    if (r.type === 'text/plain' && (r.params.version === undefined || r.params.version === '0.0.4')) {
      break;
    }
  }
  return { format: 'text', escaping, contentType: `${TEXT_CONTENT_TYPE}; escaping=${escaping}` };
}

/** Stable sort: higher q first; at equal q a concrete type before `*`, a concrete subtype before `/*`. */
function sortByPreference(ranges: MediaRange[]): MediaRange[] {
  const wild = (r: MediaRange) => (r.type.startsWith('*/') ? 2 : r.type.endsWith('/*') ? 1 : 0);
  return ranges
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.q - a.r.q || wild(a.r) - wild(b.r) || a.i - b.i)
    .map((x) => x.r);
}

/**
 * True when an Accept-Encoding header accepts gzip: `gzip` or its alias `x-gzip` with q > 0, or
 * else `*` with q > 0 (RFC 9110 §12.5.3: an explicit `gzip;q=0` refuses it even beside `*`).
 */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) {
    return false;
  }
  const ranges = parseMediaRanges(acceptEncoding);
  const named = ranges.filter((r) => r.type === 'gzip' || r.type === 'x-gzip');
  return named.length > 0 ? named.some((r) => r.q > 0) : ranges.some((r) => r.type === '*' && r.q > 0);
}
