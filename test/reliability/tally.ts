/** Tallies keyed by name, printed and summed into the report. */
export class Tally {
  public readonly counts: Record<string, number> = {};

  public add(key: string, by = 1): void {
    if (by === 0) return;
    this.counts[key] = (this.counts[key] ?? 0) + by;
  }
}
