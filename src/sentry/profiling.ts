import { SDK_VERSION, type Integration } from '@sentry/core';
import type { Logger } from '../logger';

const PROFILING_PACKAGE = '@sentry/profiling-node';

function versionOf(packageName: string): string | undefined {
  try {
    return (require(`${packageName}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Profiling (S12) needs @sentry/profiling-node built for exactly our @sentry/node: its releases pin one
 * version, and a second copy of the SDK in one app splits scopes and doubles events. When the versions
 * do not match, or the package is absent, profiling stays off and one log line says why.
 */
export function profilingIntegration(rate: number, logger: Logger): Integration | undefined {
  if (rate <= 0) return undefined;
  // SDK_VERSION is built in (Sentry's packages share one version): a bundle ships no package.json to read.
  const ours = versionOf('@sentry/node') ?? SDK_VERSION;
  const theirs = versionOf(PROFILING_PACKAGE);
  if (!theirs) {
    // Its releases lag @sentry/node's (11.1.0 against our 11.12.0): the advice must say which one, and
    // that it may not be published yet, or a user installs the latest and meets the mismatch below.
    logger.info(
      `profiling unavailable: the profiles sample rate is ${rate} but ${PROFILING_PACKAGE} is not installed; it must be the release `
      + `built for @sentry/node@${ours} (${PROFILING_PACKAGE}@${ours}, once it is published: each release pins one @sentry/node).`,
    );
    return undefined;
  }
  if (theirs !== ours) {
    logger.warn(`profiling unavailable: ${PROFILING_PACKAGE}@${theirs} requires @sentry/node@${theirs} but this app uses @sentry/node@${ours}; two SDK copies would split scopes and events.`);
    return undefined;
  }
  try {
    const profiling = require(PROFILING_PACKAGE) as { nodeProfilingIntegration: () => Integration };
    return profiling.nodeProfilingIntegration();
  } catch (error) {
    logger.warn(`profiling unavailable: ${PROFILING_PACKAGE} failed to load (${error instanceof Error ? error.message : String(error)}).`);
    return undefined;
  }
}
