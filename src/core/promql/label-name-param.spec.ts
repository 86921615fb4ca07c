import { InvalidLabelNameError, labelNameFromPath } from 'src/core/promql/label-name-param';

describe('labelNameFromPath (Prometheus 3 labelValues: model.UnescapeName, then UTF-8 validation)', () => {
  it.each([
    ['a legacy name', 'job', 'job'],
    ['__name__', '__name__', '__name__'],
    ['U__ with a dot', 'U__some_2e_label', 'some.label'],
    ['a double underscore is one underscore', 'U__a__b_2e_c', 'a_b.c'],
    ['upper-case hex', 'U__a_2E_b', 'a.b'],
    ['a code point above the BMP', 'U___1f600_', '😀'],
    ['six hex digits', 'U___01f600_', '😀'],
    ['an escaped U__ prefix', 'U___55_____x', 'U__x'],
    ['a reserved name decoded (Prometheus accepts it here)', 'U______x', '__x'],
    ['seven hex digits: left as is', 'U___0000041_', 'U___0000041_'],
    ['a non-hex sequence: left as is', 'U__in_xxx_valid', 'U__in_xxx_valid'],
    ['an unclosed sequence: left as is', 'U__a_41', 'U__a_41'],
    ['a trailing underscore: left as is', 'U__a_', 'U__a_'],
    ['a surrogate code point: left as is', 'U___d800_', 'U___d800_'],
    ['beyond U+10FFFF: left as is', 'U___110000_', 'U___110000_'],
    ['a UTF-8 name written plainly (valid under UTF-8 validation)', 'some.label', 'some.label'],
    ['a name with a dash', 'a-b', 'a-b'],
    ['a leading digit', '1a', '1a'],
    ['U+0000', '\u0000', '\u0000'],
    ['lower-case u is no prefix', 'u__a_2e_b', 'u__a_2e_b'],
  ])('%s: %p → %p', (_, segment, name) => {
    expect(labelNameFromPath(segment)).toBe(name);
  });

  it.each([
    ['the empty name', '', 'invalid label name: ""'],
    ['a bare U__ decodes to the empty name', 'U__', 'invalid label name: ""'],
    ['a lone surrogate (not UTF-8)', '\uD800', 'invalid label name: "\\ufffd"'],
  ])("%s is refused with Prometheus' message", (_, segment, message) => {
    expect(() => labelNameFromPath(segment)).toThrow(new InvalidLabelNameError(message));
  });
});
