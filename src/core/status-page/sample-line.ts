/**
 * Reading back the sample lines of a stored family's pre-rendered exposition, so the status page
 * can show each series as a row (its labels and value) without decoding the protobuf body.
 */

/** One sample line: `name{label="value",...} value`, labels in line order, values unescaped. */
export interface SampleLine {
  name: string;
  labels: [string, string][];
  /** The value as written (Go float formatting: `1`, `1.5e+06`, `NaN`, `+Inf`). */
  value: string;
}

/**
 * Parses one line of text format 0.0.4 as the gateway's encoder writes it: a bare legacy name or a
 * quoted name as the first item inside the braces (`{"my.metric",job="x"} 1`), label names bare or
 * quoted, values with `\\`, `\"` and `\n` escapes, then the value and an optional timestamp.
 * Returns undefined for anything else, so a caller can fall back to showing the raw line.
 */
export function parseSampleLine(line: string): SampleLine | undefined {
  const s = new Scanner(line);
  let name = s.bareName();
  const labels: [string, string][] = [];
  if (s.peek() === '{') {
    s.pos++;
    let first = true;
    while (s.peek() !== '}') {
      if (!first && !s.take(',')) {
        return undefined;
      }
      if (!first && s.peek() === '}') {
        // A trailing comma is allowed by the format.
        break;
      }
      const labelName = s.peek() === '"' ? s.quoted() : s.bareName();
      if (labelName === undefined || labelName === '') {
        return undefined;
      }
      if (first && name === '' && s.peek() !== '=') {
        // `{"my.metric",...}`: the quoted metric name comes first inside the braces.
        name = labelName;
      } else {
        if (!s.take('=')) {
          return undefined;
        }
        const value = s.quoted();
        if (value === undefined) {
          return undefined;
        }
        labels.push([labelName, value]);
      }
      first = false;
    }
    s.pos++;
  }
  if (name === '' || !s.take(' ')) {
    return undefined;
  }
  const rest = line.slice(s.pos).split(' ');
  if (rest.length > 2 || rest[0] === '' || (rest.length === 2 && !/^-?\d+$/.test(rest[1]))) {
    return undefined;
  }
  return { name, labels, value: rest[0] };
}

class Scanner {
  pos = 0;

  constructor(private readonly text: string) {}

  peek(): string | undefined {
    return this.text[this.pos];
  }

  take(c: string): boolean {
    if (this.text[this.pos] !== c) {
      return false;
    }
    this.pos++;
    return true;
  }

  bareName(): string {
    const start = this.pos;
    while (this.pos < this.text.length && /[a-zA-Z0-9_:]/.test(this.text[this.pos])) {
      this.pos++;
    }
    return this.text.slice(start, this.pos);
  }

  /** A double-quoted string with the exposition's three escapes; undefined when malformed. */
  quoted(): string | undefined {
    if (!this.take('"')) {
      return undefined;
    }
    let out = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined) {
        return undefined;
      }
      if (c === '"') {
        return out;
      }
      if (c === '\\') {
        const e = this.text[this.pos++];
        // Anything else after a backslash is kept as written, as Prometheus' parser does.
        out += e === 'n' ? '\n' : e === '\\' || e === '"' ? e : `\\${e ?? ''}`;
      } else {
        out += c;
      }
    }
  }
}
