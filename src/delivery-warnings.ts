import type { Logger } from './logger';

/**
 * The first failure after a success is a warning (a wrong port, key, protocol or certificate shows at
 * once); the ones after it, while the destination stays down, are logged at debug until one succeeds.
 *
 * Sends finish out of order (envelopes go out concurrently; a hung one fails at its timeout, long after
 * newer ones arrived), so the state follows the order sends were started: each send takes a number
 * from `started()`, and an outcome says something about now only if no later-started send has been
 * heard of. A late failure of a send started before the latest success belongs to an outage that is
 * over: it is warned of once as such (if its outage was not warned of already), never as "failing now".
 * The first success after a warned failure says so, with what was lost meanwhile, at info.
 */
export class FailureWarning {
  private sends = 0;
  /** The send whose failure was warned of while the destination fails; undefined while it delivers. */
  private failingSince: number | undefined;
  /** The latest-started send that arrived. */
  private latestSuccess = 0;
  /** Failures of sends started before this one belong to an outage already warned of. */
  private coveredBefore = 0;
  /** Items of the current outage named in its warning line: the recovery line counts them. */
  private outageWarned = 0;
  /** Items of the current outage no visible line named (debug only): the recovery line, else the shutdown's, counts them. */
  private outageUnnamed = 0;
  /** Items lost outside a current outage that no visible line named (late failures of one that is over): the shutdown's line only. */
  private stray = 0;
  private lastReason: string | undefined;

  /** `resumed` words the line of a recovery, given the items lost since the last such line. */
  constructor(
    private readonly logger: Logger,
    private readonly resumed: (lost: number) => string,
  ) {}

  /** Numbers a send in the order sends start; pass it to `succeeded` or `failed`. */
  started(): number {
    return ++this.sends;
  }

  succeeded(send: number): void {
    this.latestSuccess = Math.max(this.latestSuccess, send);
    // An older send arriving late says nothing about whether the destination accepts sends now.
    if (this.failingSince === undefined || send < this.failingSince) return;
    this.failingSince = undefined;
    this.coveredBefore = Math.max(this.coveredBefore, send);
    this.logger.info(this.resumed(this.outageWarned + this.outageUnnamed));
    this.outageWarned = 0;
    this.outageUnnamed = 0;
  }

  /**
   * `line` says what failed and why; `untilRecovered` is added to the warning of an outage that lasts,
   * `laterArrived` to the warning of one that ended before this failure was known. `lost` items did not arrive.
   */
  failed(send: number, lost: number, reason: string, line: string, untilRecovered: string, laterArrived: string): void {
    this.lastReason = reason;
    // Started before a recovery already logged: of an outage that is over, whatever is failing now.
    if (send < this.coveredBefore) {
      this.stray += lost;
      this.logger.debug(line);
      return;
    }
    if (this.failingSince !== undefined) {
      this.outageUnnamed += lost;
      this.logger.debug(line);
      return;
    }
    if (send < this.latestSuccess) {
      // Of an outage that is over, named in this line: no recovery line will follow to count it.
      this.logger.warn(`${line}. ${laterArrived}`);
      this.coveredBefore = this.latestSuccess;
      return;
    }
    this.logger.warn(`${line}. ${untilRecovered}`);
    this.failingSince = send;
    this.outageWarned = lost;
    this.outageUnnamed = 0;
  }

  /** Items that did not arrive without a send failing (given up on at shutdown), said in `takeUnreported`'s line only. */
  lost(count: number, reason?: string): void {
    if (this.failingSince !== undefined) this.outageUnnamed += count;
    else this.stray += count;
    if (reason !== undefined) this.lastReason = reason;
  }

  /** What was lost that no visible line has named yet, with the last real reason known; counted from now on. */
  takeUnreported(): Undelivered | undefined {
    const count = this.stray + this.outageUnnamed;
    if (count === 0) return undefined;
    this.stray = 0;
    this.outageUnnamed = 0;
    return { count, reason: this.lastReason };
  }
}

/** Items that did not arrive, and the last reason known (a network error, a status, a timeout). */
export interface Undelivered {
  count: number;
  reason: string | undefined;
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
