#!/usr/bin/env node
'use strict';
/**
 * node bench/callgrind-functions.js <dump> [--perf-map /tmp/perf-<pid>.map] [--requests 1000] [--top 40]
 *                                   [--callers <text>] [--callees <text>] [--charged function|package]
 *
 * Where the instructions of one window of bench/instructions.js went, per request, by function: run it
 * with `BENCH_KEEP_DUMPS=1 BENCH_NODE_ARGS=--perf-basic-prof` and pass the last dump of a server (the
 * last window) with the perf map of that server's pid, which names V8's JIT code (`JS:*name file:line`
 * optimized, `JS:^` baseline, `JS:~` interpreted, `Builtin:` builtins); without it, JIT code shows as
 * addresses. Default: the top functions by exclusive cost. `--callers <text>`: the inclusive cost of
 * each call into functions whose name contains the text, by caller. `--callees <text>`: the same from
 * those functions outward. Baseline-compiled (`^`) frames are counted twice where they pass through
 * `BaselineOutOfLinePrologue`: read their callees' costs, not the sum. `--charged function` (or
 * `package`): each JavaScript function charged its own instructions plus those of the V8 runtime and
 * builtins it calls (inline-cache misses, map transitions, string flattening), not of the JavaScript it
 * calls, so that two setups' dumps can be compared by whose code causes the work; code inlined into a
 * function is charged to it, and native work behind API callbacks (e.g. `Buffer#write`) is left out.
 */
const fs = require('node:fs');
const { walkDump, selfCosts, readPerfMap, namer } = require('./lib/callgrind');

function parseArgs(argv) {
  const args = { requests: 1000, top: 40 };
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) {
      args.dump = argv[i];
      continue;
    }
    const [name, value] = [argv[i].slice(2), argv[++i]];
    if (value === undefined) throw new TypeError(`--${name} needs a value`);
    if (name === 'perf-map') args.perfMap = value;
    else if (name === 'requests' || name === 'top') args[name] = Number(value);
    else if (name === 'callers' || name === 'callees') args[name] = value;
    else if (name === 'charged') {
      if (value !== 'function' && value !== 'package') throw new TypeError(`--charged ${value}: use --charged function or --charged package`);
      args.charged = value;
    }
    else throw new TypeError(`unknown option --${name}: see the comment at the top of bench/callgrind-functions.js`);
  }
  if (!args.dump) throw new TypeError('pass a callgrind dump (bench/instructions.js with BENCH_KEEP_DUMPS=1 keeps them)');
  return args;
}

function printTable(rows, requests, top) {
  const total = rows.reduce((sum, [, cost]) => sum + cost, 0);
  console.log(`${(total / requests / 1000).toFixed(1)} k instructions per request, listed below and the rest`);
  for (const [name, cost] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(cost / requests / 1000).toFixed(2).padStart(9)} k  ${name}`);
  }
}

/**
 * Callees through which a call reaches JavaScript again (calls, constructors, lazy compilation of a
 * fresh closure, promise and array callbacks, API callbacks): their inclusive cost is not the caller's.
 */
const REACHES_JAVASCRIPT = /^(JS:|0x)|^Builtins_(Call|Construct|CompileLazy|InterpreterEntry|InterpreterPushArgs|Baseline|JSEntry|JSBuiltinsConstruct|RunMicrotasks|Promise|Array(ForEach|Map|Filter|Some|Every|Reduce|Find)|Reflect|FunctionPrototype|AsyncFunction|Await|Resume|Generator|MapPrototypeForEach|SetPrototypeForEach|HandleApiCall|StringPrototypeReplace|RegExpReplace|JSONStringify|ArrayPrototypeSort|ArrayTimSort|CEntry)|Invoke|Execution|JSEntry|node::|MakeCallback|uv_/;

function ownerOf(jsName) {
  const match = /node_modules\/((@[^/]+\/)?[^/]+)\//.exec(jsName);
  if (match) return match[1];
  const builtin = /(node:[^:\s]+)/.exec(jsName);
  return builtin ? builtin[1] : /\/dist\//.test(jsName) ? 'dist (ours)' : '(other)';
}

function chargedCosts(text, name, by) {
  const charged = new Map();
  const add = (fn, cost) => {
    const key = by === 'package' ? ownerOf(fn) : fn.replace(/'\d+$/, '');
    charged.set(key, (charged.get(key) ?? 0) + cost);
  };
  walkDump(text, {
    onSelf: (fn, cost) => {
      const named = name(fn);
      if (named.startsWith('JS:')) add(named, cost);
    },
    onCall: (caller, callee, cost) => {
      const from = name(caller);
      if (from.startsWith('JS:') && !REACHES_JAVASCRIPT.test(name(callee))) add(from, cost);
    },
  });
  return charged;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const text = fs.readFileSync(args.dump, 'utf8');
  const name = namer(args.perfMap ? readPerfMap(fs.readFileSync(args.perfMap, 'utf8')) : undefined);
  if (args.callers || args.callees) {
    const [wanted, key] = args.callers ? [args.callers, 'callee'] : [args.callees, 'caller'];
    const byPeer = new Map();
    walkDump(text, {
      onSelf: () => {},
      onCall: (caller, callee, cost) => {
        const ends = { caller: name(caller), callee: name(callee) };
        if (!ends[key].includes(wanted)) return;
        const peer = `${ends[key === 'callee' ? 'caller' : 'callee']}  ${args.callers ? '→' : '←'}  ${ends[key]}`;
        byPeer.set(peer, (byPeer.get(peer) ?? 0) + cost);
      },
    });
    printTable([...byPeer], args.requests, args.top);
    return;
  }
  if (args.charged) {
    printTable([...chargedCosts(text, name, args.charged)], args.requests, args.top);
    return;
  }
  const named = new Map();
  for (const [raw, cost] of selfCosts(text)) named.set(name(raw), (named.get(name(raw)) ?? 0) + cost);
  printTable([...named], args.requests, args.top);
}

main();
