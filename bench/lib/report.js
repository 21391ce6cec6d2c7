'use strict';
/**
 * Turns rotations into figures: per setup and route the median req/s, p50 and p99 over rotations, and
 * the median of the per-rotation ratios to bare Express (a ratio within one rotation cancels most of the
 * noise of a shared machine: both numbers saw the same background load).
 */

function median(values) {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2;
}

/** rotations: [{ setups: { [key]: { startupSeconds, rssMb, routes: { [route]: loadResult } } } }] */
function summarize(rotations, setups, routes) {
  const summary = {};
  for (const setup of setups) {
    const runs = rotations.map((rotation) => rotation.setups[setup.key]).filter(Boolean);
    const bares = rotations.map((rotation) => rotation.setups.bare);
    const perRoute = {};
    for (const route of routes) {
      const ratios = rotations
        .map((rotation) => {
          const mine = rotation.setups[setup.key]?.routes[route];
          const bare = rotation.setups.bare?.routes[route];
          return mine && bare ? mine.rps / bare.rps : NaN;
        });
      perRoute[route] = {
        rps: median(runs.map((run) => run.routes[route]?.rps)),
        p50: median(runs.map((run) => run.routes[route]?.p50)),
        p99: median(runs.map((run) => run.routes[route]?.p99)),
        serverCpu: median(runs.map((run) => run.routes[route]?.serverCpu)),
        cpuUs: median(runs.map((run) => run.routes[route]?.cpuUsPerRequest)),
        cpuRatio: median(rotations.map((rotation) => {
          const mine = rotation.setups[setup.key]?.routes[route];
          const bare = rotation.setups.bare?.routes[route];
          return mine && bare ? bare.cpuUsPerRequest / mine.cpuUsPerRequest : NaN;
        })),
        ratio: median(ratios),
        ratios,
      };
    }
    const rssAboveBare = rotations.map((rotation) => {
      const mine = rotation.setups[setup.key];
      return mine && rotation.setups.bare ? mine.rssMb - rotation.setups.bare.rssMb : NaN;
    });
    const sum = (pick) => runs.reduce((total, run) => total + (pick(run) || 0), 0);
    summary[setup.key] = {
      label: setup.label,
      routes: perRoute,
      startupSeconds: median(runs.map((run) => run.startupSeconds)),
      startupCpuSeconds: median(runs.map((run) => run.startupCpuSeconds)),
      rssMb: median(runs.map((run) => run.rssMb)),
      rssAboveBareMb: median(rssAboveBare),
      bareRss: median(bares.map((run) => run?.rssMb)),
      telemetry: {
        answered: sum((run) => run.answered),
        errorsAnswered: sum((run) => run.routes['/error']?.answered),
        serverSpans: sum((run) => run.sink.serverSpans),
        spans: sum((run) => run.sink.spans),
        events: sum((run) => run.sink.events),
        sdkDropped: sum((run) => run.sink.sdkDropped),
        requests: sum((run) => run.sink.requests),
        badBodies: sum((run) => run.sink.badBodies),
      },
      loadErrors: sum((run) => Object.values(run.routes).reduce((total, result) => total + result.errors, 0)),
    };
  }
  return summary;
}

const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const pad = (text, width) => String(text).padEnd(width);

function table(headers, rows) {
  const widths = headers.map((header, index) => Math.max(header.length, ...rows.map((row) => String(row[index]).length)));
  const line = (cells) => `| ${cells.map((cell, index) => pad(cell, widths[index])).join(' | ')} |`;
  return [line(headers), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Markdown tables: one per route, then memory/start-up, then what the sink received. */
function render(summary, setups, routes, meta) {
  const out = [];
  out.push(`Bench ${meta.mode}: ${meta.rotations} rotation(s) × ${meta.duration} s per route (+${meta.warmup} s warm-up), ` +
    `${meta.connections} connections, server pinned to CPU 0: ${meta.pinning ? 'yes' : 'NO (taskset unavailable)'}; ${meta.date}`);
  for (const route of routes) {
    out.push('', `### GET ${route}`, '');
    out.push(table(
      ['setup', 'req/s', 'ratio to bare', 'p50 ms', 'p99 ms', 'server CPU', 'CPU µs/req', 'bare/this CPU'],
      setups.map((setup) => {
        const f = summary[setup.key].routes[route];
        return [setup.label, fixed(f.rps, 0), fixed(f.ratio, 2), fixed(f.p50, 2), fixed(f.p99, 2), `${fixed(f.serverCpu * 100, 0)}%`, fixed(f.cpuUs, 0), fixed(f.cpuRatio, 2)];
      }),
    ));
  }
  out.push('', '### Memory and start-up', '');
  out.push(table(
    ['setup', 'RSS after load MB', 'above bare MB', 'start → listening s', 'CPU until listening s'],
    setups.map((setup) => {
      const s = summary[setup.key];
      return [setup.label, fixed(s.rssMb, 0), setup.key === 'bare' ? '—' : fixed(s.rssAboveBareMb, 0), fixed(s.startupSeconds, 2), fixed(s.startupCpuSeconds, 2)];
    }),
  ));
  out.push('', '### What the sink received (all rotations)', '');
  out.push(table(
    ['setup', 'requests answered', 'server spans', 'spans', 'error events (/error answered)', 'SDK-reported drops', 'bad bodies'],
    setups.map((setup) => {
      const t = summary[setup.key].telemetry;
      const events = setup.errorEvents ? `${t.events} (${t.errorsAnswered})` : `${t.events}`;
      return [setup.label, t.answered, `${t.serverSpans} (${fixed(t.serverSpans / t.answered, 3)}/req)`, t.spans, events, t.sdkDropped, t.badBodies];
    }),
  ));
  return out.join('\n');
}

module.exports = { summarize, render, median };
