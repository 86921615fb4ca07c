import { parseSampleLine, SampleLine } from 'src/core/status-page/sample-line';

describe('parseSampleLine', () => {
  it.each<[string, string, SampleLine]>([
    ['a bare name and value', 'up 1', { name: 'up', labels: [], value: '1' }],
    [
      'labels in line order',
      'backup_size_bytes{volume="data",job="backup"} 2.7e+09',
      {
        name: 'backup_size_bytes',
        labels: [
          ['volume', 'data'],
          ['job', 'backup'],
        ],
        value: '2.7e+09',
      },
    ],
    ['escaped quote, backslash and newline', 'm{v="a\\"b\\\\c\\nd"} 3', { name: 'm', labels: [['v', 'a"b\\c\nd']], value: '3' }],
    ['an unknown escape kept as written', 'm{v="a\\tb"} 3', { name: 'm', labels: [['v', 'a\\tb']], value: '3' }],
    ['an empty value', 'm{instance=""} 0', { name: 'm', labels: [['instance', '']], value: '0' }],
    ['special values', 'm{le="+Inf"} NaN', { name: 'm', labels: [['le', '+Inf']], value: 'NaN' }],
    ['a timestamp', 'm 1 1700000000000', { name: 'm', labels: [], value: '1' }],
    ['a trailing comma', 'm{a="1",} 2', { name: 'm', labels: [['a', '1']], value: '2' }],
    ['a quoted metric name first in the braces', '{"my.metric",job="x"} 1', { name: 'my.metric', labels: [['job', 'x']], value: '1' }],
    ['a quoted metric name alone', '{"my.metric"} 1', { name: 'my.metric', labels: [], value: '1' }],
    ['a quoted label name', 'm{"my.label"="v"} 1', { name: 'm', labels: [['my.label', 'v']], value: '1' }],
    ['braces and commas inside values', 'm{v="{a,b}=c"} 1', { name: 'm', labels: [['v', '{a,b}=c']], value: '1' }],
    ['UTF-8 and U+0000 in values', 'm{v="日本\u0000"} 1', { name: 'm', labels: [['v', '日本\u0000']], value: '1' }],
  ])('%s', (_name, line, expected) => {
    expect(parseSampleLine(line)).toEqual(expected);
  });

  it.each([
    ['an empty line', ''],
    ['no value', 'm'],
    ['no value after labels', 'm{a="1"}'],
    ['an unterminated value', 'm{a="1} 2'],
    ['a missing equals sign', 'm{a"1"} 2'],
    ['a missing comma', 'm{a="1"b="2"} 3'],
    ['a comment', '# HELP m help'],
    ['two spaces', 'm  1'],
    ['a bad timestamp', 'm 1 x'],
    ['extra fields', 'm 1 2 3'],
    ['a backslash at the end', 'm{a="1\\'],
  ])('refuses %s', (_name, line) => {
    expect(parseSampleLine(line)).toBeUndefined();
  });
});
