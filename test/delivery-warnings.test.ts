import { strict as assert } from 'node:assert';
import { FailureWarning } from '../src/delivery-warnings';
import type { Logger } from '../src/logger';

type Line = { level: keyof Logger; message: string };

function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: keyof Logger) => (message: string) => lines.push({ level, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * A script of sends: `s3` starts send 3 (sends are numbered as they start), `+3` says it arrived,
 * `-3` that it failed. Sends finish in any order, as envelopes sent concurrently do.
 */
function playSends(warning: FailureWarning, script: string): void {
  const tokens = new Map<number, number>();
  for (const step of script.split(' ')) {
    const send = Number(step.slice(1));
    if (step[0] === 's') tokens.set(send, warning.started());
    else if (step[0] === '+') warning.succeeded(tokens.get(send)!);
    else warning.failed(tokens.get(send)!, 1, 'refused', `send ${send} failed`, 'UNTIL RECOVERED', 'LATER ARRIVED');
  }
}

function play(script: string): { warnings: string[]; debug: number; info: string[] } {
  const logger = recordingLogger();
  playSends(new FailureWarning(logger, (lost) => `resumed, ${lost} lost`), script);
  return {
    warnings: logger.lines.filter((line) => line.level === 'warn').map((line) => line.message),
    debug: logger.lines.filter((line) => line.level === 'debug').length,
    info: logger.lines.filter((line) => line.level === 'info').map((line) => line.message),
  };
}

describe('FailureWarning: one warning per outage, in the order sends were started', () => {
  const cases: { name: string; script: string; warnings: string[]; debug: number; info?: string[] }[] = [
    { name: 'the first failure is warned of, the next ones while failing are debug', script: 's1 -1 s2 -2 s3 -3', warnings: ['send 1 failed. UNTIL RECOVERED'], debug: 2 },
    { name: 'a failure after a recovery is a new outage', script: 's1 -1 s2 +2 s3 -3', warnings: ['send 1 failed. UNTIL RECOVERED', 'send 3 failed. UNTIL RECOVERED'], debug: 0, info: ['resumed, 1 lost'] },
    {
      // A hang: sends 2-5 hang, Sentry recovers (6, 7 arrive), then the hung ones time out one by one.
      name: 'hung sends that time out after newer ones arrived give one warning, and not "failing now"',
      script: 's1 +1 s2 s3 s4 s5 s6 +6 s7 +7 -2 -3 s8 +8 -4 -5',
      warnings: ['send 2 failed. LATER ARRIVED'],
      debug: 3,
    },
    {
      // A hang warned of while it lasted: the sends started before the recovery that time out later are part of it.
      name: 'after a warned outage recovered, late failures of sends started before the recovery are debug',
      script: 's1 s2 s3 -1 s4 +4 -2 s5 +5 -3',
      warnings: ['send 1 failed. UNTIL RECOVERED'],
      debug: 2,
      info: ['resumed, 1 lost'],
    },
    {
      name: 'a slow older send arriving while newer ones fail is no recovery',
      script: 's1 s2 -2 +1 s3 -3',
      warnings: ['send 2 failed. UNTIL RECOVERED'],
      debug: 1,
    },
    {
      name: 'a new outage after a late-failure warning is warned of again',
      script: 's1 s2 +2 -1 s3 -3',
      warnings: ['send 1 failed. LATER ARRIVED', 'send 3 failed. UNTIL RECOVERED'],
      debug: 0,
    },
    {
      name: 'the first success after a warned outage says so once, with what was lost meanwhile',
      script: 's1 +1 s2 -2 s3 -3 s4 -4 s5 +5 s6 +6',
      warnings: ['send 2 failed. UNTIL RECOVERED'],
      debug: 2,
      info: ['resumed, 3 lost'],
    },
    { name: 'successes without a failure say nothing', script: 's1 +1 s2 +2', warnings: [], debug: 0 },
    {
      // Send 2 started before outage A's recovery and fails during outage B: it is A's.
      name: 'a late failure of an earlier outage is not counted by the next one\'s recovery line',
      script: 's1 s2 -1 s3 +3 s4 -4 -2 s5 +5',
      warnings: ['send 1 failed. UNTIL RECOVERED', 'send 4 failed. UNTIL RECOVERED'],
      debug: 1,
      info: ['resumed, 1 lost', 'resumed, 1 lost'],
    },
    {
      // A late failure of an outage that was over, then a new outage of one send: the recovery counts that one.
      name: 'the recovery line counts the failures of its own outage only',
      script: 's1 s2 +2 -1 s3 +3 s4 -4 s5 +5',
      warnings: ['send 1 failed. LATER ARRIVED', 'send 4 failed. UNTIL RECOVERED'],
      debug: 0,
      info: ['resumed, 1 lost'],
    },
    {
      name: 'late failures of a covered outage, at debug, are not counted for the next outage',
      script: 's1 s2 s3 -1 s4 +4 -2 -3 s5 -5 s6 +6',
      warnings: ['send 1 failed. UNTIL RECOVERED', 'send 5 failed. UNTIL RECOVERED'],
      debug: 2,
      info: ['resumed, 1 lost', 'resumed, 1 lost'],
    },
  ];
  for (const { name, script, warnings, debug, info = [] } of cases) {
    it(`${name}: ${script}`, () => {
      assert.deepEqual(play(script), { warnings, debug, info });
    });
  }
});

describe('FailureWarning: what the shutdown line counts', () => {
  const cases: Array<[name: string, script: string, unreported: number | undefined]> = [
    ['a warned failure names its items: not counted again', 's1 -1', undefined],
    ['the failures after it, at debug only, are', 's1 -1 s2 -2 s3 -3', 2],
    ['a recovery line counted them all', 's1 -1 s2 -2 s3 +3', undefined],
    ['a late failure warned of as such names its items', 's1 s2 +2 -1', undefined],
    ['a late failure at debug between two outages stays counted after the second one recovers', 's1 s2 -1 s3 +3 -2 s4 -4 s5 +5', 1],
  ];
  for (const [name, script, unreported] of cases) {
    it(`${name}: ${script}`, () => {
      const warning = new FailureWarning(recordingLogger(), (lost) => `resumed, ${lost} lost`);
      playSends(warning, script);
      assert.equal(warning.takeUnreported()?.count, unreported);
    });
  }
});
