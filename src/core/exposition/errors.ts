/** Errors raised while reading an exposition body (text format 0.0.4 or delimited protobuf). */

/**
 * A push body could not be parsed. `message` is the complete, upstream-compatible text that
 * Pushgateway answers with a 400, e.g. `text format parsing error in line 3: invalid metric name`
 * or `unexpected EOF`. `line` is the 1-based line of a text body; it is absent for protobuf bodies.
 */
export class ExpositionParseError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ExpositionParseError';
  }

  /** Builds the error for text line `line` (1-based) with Go expfmt's `text format parsing error` prefix. */
  static text(line: number, detail: string): ExpositionParseError {
    return new ExpositionParseError(`text format parsing error in line ${line}: ${detail}`, line);
  }

  /** Builds the error for a protobuf body that failed to decode; `detail` says why. */
  static protobuf(detail: string): ExpositionParseError {
    return new ExpositionParseError(`protobuf parsing error: ${detail}`);
  }
}
