/** Errors raised by the PromQL parser and evaluator. */

/** Where a parse error was found: 0-based offset into the query, 1-based line and column. */
export interface QueryPosition {
  offset: number;
  line: number;
  column: number;
}

/**
 * The query text is not valid PromQL (or uses a construct this gateway does not support).
 * `message` follows Prometheus: `1:5: parse error: unexpected "}"`; `detail` is the part after
 * `parse error: `. Columns count UTF-16 code units, where Prometheus counts bytes.
 */
export class PromqlParseError extends Error {
  readonly position: QueryPosition;

  constructor(
    readonly detail: string,
    offset: number,
    query: string,
  ) {
    const position = positionOf(query, offset);
    super(`${position.line}:${position.column}: parse error: ${detail}`);
    this.name = 'PromqlParseError';
    this.position = position;
  }
}

/**
 * Prometheus API error types an evaluation can end with: `execution` (the expression cannot be
 * computed, e.g. many-to-many matching), `timeout`, `canceled`, and `bad_data` (invalid API
 * parameters such as a negative step).
 */
export type PromqlErrorType = 'execution' | 'timeout' | 'canceled' | 'bad_data';

/** A well-formed query failed while being evaluated; `errorType` is Prometheus' API error type. */
export class PromqlEvalError extends Error {
  constructor(
    readonly errorType: PromqlErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'PromqlEvalError';
  }
}

/** Line and column (both 1-based) of a 0-based offset, counting `\n` as the line break. */
function positionOf(query: string, offset: number): QueryPosition {
  const clamped = Math.max(0, Math.min(offset, query.length));
  let line = 1;
  let lastBreak = -1;
  for (let i = 0; i < clamped; i++) {
    if (query.charCodeAt(i) === 10) {
      line++;
      lastBreak = i;
    }
  }
  return { offset: clamped, line, column: clamped - lastBreak };
}
