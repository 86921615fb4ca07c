import { LabelPair } from 'src/core/model/metric-family';

/** Beyond this many labels the names read so far go into a Set instead of being scanned. */
const SCAN_LIMIT = 16;

/**
 * The label names of one series read so far, for the duplicate check while parsing: a scan of the
 * few labels a series usually has, a Set once there are more, so a series of 60,000 labels costs
 * linear time, not the quadratic scan that blocked the event loop for seconds (and a 12 MB body of
 * a million labels for minutes).
 */
export class LabelNamesSeen {
  private names: Set<string> | undefined;

  constructor(private readonly labels: readonly LabelPair[]) {}

  has(name: string): boolean {
    if (this.names !== undefined) {
      return this.names.has(name);
    }
    for (let i = 0; i < this.labels.length; i++) {
      if (this.labels[i].name === name) {
        return true;
      }
    }
    return false;
  }

  /** Call after each label is added to the array given to the constructor. */
  added(name: string): void {
    if (this.names !== undefined) {
      this.names.add(name);
    } else if (this.labels.length > SCAN_LIMIT) {
      this.names = new Set(this.labels.map((l) => l.name));
    }
  }
}
