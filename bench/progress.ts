// Progress of a benchmark that runs for a while before its table: one numbered, timed line on
// stderr per step done (stdout carries the table), so a long run shows that it moves and how far
// it has come. Lines rather than a redrawn bar: they read the same in a terminal, a pipe and a log.

export type LineWriter = (line: string) => void;

const toStderr: LineWriter = (line) => void process.stderr.write(line);

export class Progress {
  #done = 0;
  readonly #started = performance.now();

  constructor(
    private readonly total: number,
    private readonly write: LineWriter = toStderr,
  ) {}

  /** One step is done: `[3/12] what (4.2 s)`. */
  step(what: string): void {
    this.#done++;
    const seconds = ((performance.now() - this.#started) / 1000).toFixed(1);
    this.write(`[${this.#done}/${this.total}] ${what} (${seconds} s)\n`);
  }
}
