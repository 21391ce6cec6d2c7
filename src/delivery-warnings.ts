import type { Logger } from './logger';

/**
 * The first failure after a success is a warning (a wrong port, key, protocol or certificate shows at
 * once); the ones after it, while the destination stays down, are logged at debug until one succeeds.
 */
export class FailureWarning {
  private failing = false;

  constructor(private readonly logger: Logger) {}

  succeeded(): void {
    this.failing = false;
  }

  /** `line` says what failed and why; `untilRecovered` is added to the warning only. */
  failed(line: string, untilRecovered: string): void {
    if (this.failing) this.logger.debug(line);
    else this.logger.warn(`${line}. ${untilRecovered}`);
    this.failing = true;
  }
}

/**
 * Counts what is dropped and warns at once, then at most once per interval while drops continue: a
 * short outage's drops after the first warning are still reported, once the interval has passed (or at
 * `stop`). `describe` turns the drops since the last warning into its line.
 */
export class DropWarning {
  private since = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly describe: (droppedSinceWarning: number) => string,
  ) {}

  count(dropped: number): void {
    if (dropped <= 0) return;
    this.since += dropped;
    if (!this.timer) this.warn();
  }

  /** The last drops are reported now, and no timer waits for more. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.warn();
  }

  private warn(): void {
    this.timer = undefined;
    if (this.since === 0) return;
    this.logger.warn(this.describe(this.since));
    this.since = 0;
    if (this.stopped) return;
    this.timer = setTimeout(() => this.warn(), this.intervalMs);
    this.timer.unref();
  }
}
