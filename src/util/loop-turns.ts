// Synchronous reads hold the event loop; a reader that shares its thread with other work (the main
// thread: a walker thread's messages, other layers, the cache's round trips) counts the bytes it
// reads through one of these and gives the loop a turn every `every` bytes.
export class LoopTurns {
  private since = 0;
  /** `every` undefined: never (a walker thread, which has nothing else to do). */
  constructor(private readonly every: number | undefined) {}
  /** Counts `bytes` read; yields one turn of the event loop once `every` bytes have been read since the last. */
  async after(bytes: number): Promise<void> {
    if (this.every === undefined) return;
    this.since += bytes;
    if (this.since < this.every) return;
    this.since = 0;
    await new Promise<void>((r) => setImmediate(r));
  }
}
