/**
 * Request parameters of the Prometheus HTTP API as Go's `r.ParseForm` + `r.FormValue` see them:
 * form-encoded body parameters (POST, `application/x-www-form-urlencoded`) first, then the URL's
 * query string; `+` is a space, keys are percent-decoded (`match%5B%5D` → `match[]`), repeated
 * keys keep every value.
 */
import { ApiError } from 'src/query/api-error';

export class ApiParams {
  private constructor(private readonly pairs: readonly [string, string][]) {}

  /** From a raw URL (path plus optional query string), body and Content-Type header. */
  static fromRequest(url: string, body: unknown, contentType: string | undefined): ApiParams {
    // Appended one by one: spreading a form of a million parameters into push() overflowed the stack.
    const pairs: [string, string][] = [];
    if (Buffer.isBuffer(body) && body.length > 0 && isFormContentType(contentType)) {
      for (const pair of new URLSearchParams(body.toString('utf8'))) {
        pairs.push(pair);
      }
    }
    const q = url.indexOf('?');
    if (q >= 0) {
      for (const pair of new URLSearchParams(url.slice(q + 1))) {
        pairs.push(pair);
      }
    }
    return new ApiParams(pairs);
  }

  /** Builds params from pairs (tests). */
  static of(pairs: [string, string][]): ApiParams {
    return new ApiParams(pairs);
  }

  /** The first value of `name`, or undefined (Go's FormValue returns "" for both absent and empty). */
  first(name: string): string | undefined {
    const pair = this.pairs.find(([k]) => k === name);
    return pair === undefined || pair[1] === '' ? undefined : pair[1];
  }

  /** Every value of `name`, body values before URL values. */
  all(name: string): string[] {
    return this.pairs.filter(([k]) => k === name).map(([, v]) => v);
  }
}

function isFormContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/**
 * Most `match[]` selectors one request may give, in the query API and the group API (Prometheus
 * has no bound; Grafana sends one). Each is a selection of its own, so 100,000 of them in one form
 * kept a request busy past any timeout.
 */
export const MAX_MATCH_SELECTORS = 1000;

/** The `match[]` values of a request, refused with `bad_data` beyond MAX_MATCH_SELECTORS. */
export function boundedMatchSelectors(values: string[]): string[] {
  if (values.length > MAX_MATCH_SELECTORS) {
    throw new ApiError('bad_data', `too many match[] selectors: ${values.length}, at most ${MAX_MATCH_SELECTORS}`);
  }
  return values;
}
