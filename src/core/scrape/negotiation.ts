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
        params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
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

/** True when a scrape's Accept header prefers protobuf-delimited over text. */
export function wantsProtobufScrape(accept: string | undefined): boolean {
  if (accept === undefined) {
    return false;
  }
  const ranges = parseMediaRanges(accept);
  const proto = Math.max(0, ...ranges.filter(isDelimitedProtobuf).map((r) => r.q));
  const text = Math.max(0, ...ranges.filter((r) => !isDelimitedProtobuf(r) && r.type !== PROTOBUF_MEDIA_TYPE).map((r) => r.q));
  return proto > 0 && proto >= text;
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
