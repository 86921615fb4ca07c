/**
 * The pre-rendered sample lines of one family of one group, held once: as the string it was loaded
 * as until a merge copies it into a merged family's Buffer, then as a range of that Buffer
 * (`bindTo`). The scrape cache holds every family's text this way, so the text of a store is in
 * memory once (the merged Buffers), not twice (issue 14). Decoding back to a string (`toString`)
 * is for the rare readers (status page, JSON API); the scrape copies bytes only.
 */
export class SampleText {
  private source: string | Buffer;
  private start = 0;
  private end = 0;

  constructor(text: string) {
    this.source = text;
  }

  /** True for a family without series (no sample lines). */
  get isEmpty(): boolean {
    return typeof this.source === 'string' ? this.source === '' : this.end === this.start;
  }

  /** UTF-8 length in bytes. */
  get byteLength(): number {
    return typeof this.source === 'string' ? Buffer.byteLength(this.source, 'utf8') : this.end - this.start;
  }

  /** The Buffer this text is a range of, or undefined while it is held as a string. */
  get buffer(): Buffer | undefined {
    return typeof this.source === 'string' ? undefined : this.source;
  }

  toString(): string {
    return typeof this.source === 'string' ? this.source : this.source.toString('utf8', this.start, this.end);
  }

  /** Writes the UTF-8 bytes at `at` in `target`; returns the bytes written. */
  copyTo(target: Buffer, at: number): number {
    return typeof this.source === 'string' ? target.write(this.source, at, 'utf8') : this.source.copy(target, at, this.start, this.end);
  }

  /** From now on, the text is `buffer[start, end)` (which must hold the same bytes). */
  bindTo(buffer: Buffer, start: number, end: number): void {
    this.source = buffer;
    this.start = start;
    this.end = end;
  }

  /** Holds the text as its own string again, so it no longer keeps its Buffer alive. */
  detach(): void {
    this.source = this.toString();
    this.start = 0;
    this.end = 0;
  }
}
