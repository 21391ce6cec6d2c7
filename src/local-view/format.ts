import { basename, dirname, resolve, sep } from 'node:path';
import type { Event } from '@sentry/node';
import { isMessageEvent } from '../sentry/event-kind';
import { printable } from '../printable';

/**
 * This library's own compiled code (its wrappers sit on the stack of every route handler). Installed, it
 * is under node_modules and Sentry marks it not in-app; run from a checkout (the examples), it would show.
 */
export function ownCodeDirectory(dir?: string): string {
  try {
    const here = resolve(dir ?? __dirname);
    // This file is src/local-view/format: anything else is a bundle, where __dirname is the bundle's
    // folder (dist/apps/api for Nx) and the app's code sits beside ours.
    if (basename(here) !== 'local-view' || basename(dirname(here)) !== 'src') return NOTHING_OURS;
    const compiled = resolve(here, '..', '..'); // dist/, above dist/src and dist/middleware
    return (basename(compiled) === 'dist' ? compiled : dirname(here)) + sep; // run from source: src/
  } catch {
    return NOTHING_OURS; // bundled into an ES module, where there is no __dirname
  }
}
/** No file name starts with it: no frame is hidden. */
const NOTHING_OURS = '\0';
let ownCode: string | undefined;

/** One line per span of a trace, indented as a tree. */
export interface TraceLine {
  depth: number;
  name: string;
  durationMs: number;
  error: boolean;
  detail?: string;
}

const RESET = '\u001b[0m';
const styles = { dim: '\u001b[2m', red: '\u001b[31m', yellow: '\u001b[33m', cyan: '\u001b[36m', bold: '\u001b[1m' };
export type Style = keyof typeof styles;
export type Paint = (style: Style, text: string) => string;

export function painter(colors: boolean): Paint {
  return colors ? (style, text) => `${styles[style]}${text}${RESET}` : (_style, text) => text;
}

function time(seconds: number | undefined): string {
  if (typeof seconds !== 'number') return '            ';
  return new Date(seconds * 1000).toISOString().slice(11, 23);
}

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

/** An event as a developer wants to see it in the terminal: what, who, why, where. */
export function formatEvent(event: Event, paint: Paint, maxFrames = 5): string {
  const exception = isMessageEvent(event) ? undefined : event.exception?.values?.[event.exception.values.length - 1];
  const level = event.level ?? (exception ? 'error' : 'info');
  const title = printable(exception ? `${exception.type ?? 'Error'}: ${exception.value ?? ''}` : (event.message ?? event.logentry?.message ?? ''));
  const color: Style = level === 'error' || level === 'fatal' ? 'red' : level === 'warning' ? 'yellow' : 'cyan';
  const lines = [paint(color, `── ${level} ── ${title}`) + paint('dim', `  (event ${event.event_id?.slice(0, 8) ?? '?'})`)];
  const facts: string[] = [];
  if (event.tags?.['error.category']) facts.push(`category ${String(event.tags['error.category'])}`);
  if (event.user && Object.keys(event.user).length > 0) {
    facts.push(`user ${[event.user.id, event.user.email, event.user.username].filter(Boolean).join(' ')}`);
  }
  if (event.request?.method) facts.push(`${event.request.method} ${event.request.url ?? ''}`);
  const traceId = event.contexts?.trace?.trace_id;
  if (typeof traceId === 'string') facts.push(`trace ${traceId.slice(0, 8)}`);
  if (facts.length > 0) lines.push(`   ${printable(facts.join(' · '))}`);
  const details = event.contexts?.details;
  if (details) lines.push(`   details ${printable(JSON.stringify(details))}`);
  const crumbs = event.breadcrumbs ?? [];
  if (crumbs.length > 0) {
    lines.push(paint('dim', '   breadcrumbs:'));
    for (const crumb of crumbs.slice(-10)) {
      const data = crumb.data ?? {};
      const text = crumb.message ?? [data.method, data.url, data.status_code].filter((v) => v !== undefined).join(' ');
      const duration = typeof data.duration_ms === 'number' ? paint('dim', `  (${ms(data.duration_ms)})`) : '';
      lines.push(`     ${paint('dim', time(crumb.timestamp))} ${printable(crumb.category ?? '').padEnd(8)} ${printable(text)}${duration}`);
    }
  }
  const frames = (event.exception?.values?.at(-1)?.stacktrace?.frames ?? [])
    .filter((frame) => frame.in_app !== false && !frame.filename?.startsWith((ownCode ??= ownCodeDirectory())))
    .slice(-maxFrames)
    .reverse();
  if (frames.length > 0) {
    lines.push(paint('dim', '   stack:'));
    for (const frame of frames) {
      const name = frame.function && frame.function !== '?' ? frame.function : '<anonymous>';
      lines.push(`     at ${printable(`${name} (${frame.filename ?? '?'}:${frame.lineno ?? '?'})`)}`);
    }
  }
  return lines.join('\n');
}

/** A trace as a tree with durations: server span → express → knex → pg. */
export function formatTrace(traceId: string, lines: TraceLine[], paint: Paint, omitted = 0): string {
  const root = lines[0];
  const header = paint(root?.error ? 'red' : 'bold', `── trace ${printable(traceId.slice(0, 8))} ── ${printable(root?.name ?? '')} · ${ms(root?.durationMs ?? 0)}`);
  const body = lines.map((line) => {
    const indent = line.depth === 0 ? '   ' : `   ${'│  '.repeat(line.depth - 1)}├─ `;
    const name = line.error ? paint('red', printable(line.name)) : printable(line.name);
    const detail = line.detail ? paint('dim', `  ${printable(line.detail)}`) : '';
    return `${indent}${name}  ${paint('dim', ms(line.durationMs))}${detail}`;
  });
  if (omitted > 0) body.push(paint('dim', `   … and ${omitted} more span${omitted === 1 ? '' : 's'}, not shown`));
  return [header, ...body].join('\n');
}
