/**
 * The `<name>` of `/api/v1/label/<name>/values` as Prometheus 3 reads it (web/api/v1/api.go
 * `labelValues`, from 3.0.1, prometheus #15399): a name starting with `U__` is decoded with
 * prometheus/common's value-encoding escaping (`model.UnescapeName(name, ValueEncodingEscaping)`),
 * so clients can put any UTF-8 name into a URL path segment (`U__some_2e_label` is `some.label`),
 * then the name is checked under UTF-8 validation: any non-empty valid UTF-8 string.
 */
import { isWellFormedText } from 'src/core/exposition/protobuf-delimited';
import { goQuote } from 'src/core/exposition/go-syntax';
import { unescapeLabelName } from 'src/core/grouping/grouping-path';

/** A label name Prometheus 3 refuses; the message is its `invalid label name: "<name>"`. */
export class InvalidLabelNameError extends Error {}

/**
 * The label name a path segment stands for. Throws InvalidLabelNameError for the empty name (a
 * bare `U__` decodes to it) and for text that is not valid UTF-8. A `U__` name with a malformed
 * escape is taken literally, as UnescapeName leaves it unchanged.
 */
export function labelNameFromPath(segment: string): string {
  const name = segment.startsWith('U__') ? unescapeLabelName(segment) : segment;
  if (name === '' || !isWellFormedText(name)) {
    throw new InvalidLabelNameError(`invalid label name: ${goQuote(name)}`);
  }
  return name;
}
