'use strict';
/**
 * Reading callgrind's output files (https://valgrind.org/docs/manual/cl-format.html) as written by
 * bench/instructions.js (`--dump-instr=no`): exclusive cost per function, and the calls between them.
 * Names may be compressed (`fn=(12) name`, later `fn=(12)`) or not; a cost line after `calls=` is the
 * call's inclusive cost, which belongs to the callee's own lines and is kept apart here.
 */

function createNameReader() {
  const names = new Map();
  return (spec) => {
    const match = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!match) return spec;
    if (match[2] !== undefined) names.set(match[1], match[2]);
    return names.get(match[1]) ?? spec;
  };
}

/**
 * One pass over a dump. `onSelf(name, cost)` gets each exclusive cost line; `onCall(caller, callee, cost)`
 * each call's inclusive cost.
 */
function walkDump(text, { onSelf, onCall = () => {} }) {
  const readName = createNameReader();
  let current = '';
  let callee;
  let pendingCall = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=')) current = readName(line.slice(3));
    else if (line.startsWith('cfn=')) callee = readName(line.slice(4));
    else if (line.startsWith('calls=')) pendingCall = true;
    else if (/^[0-9+*-]/.test(line)) {
      const cost = Number(line.split(' ')[1] ?? 0);
      if (pendingCall) {
        pendingCall = false;
        onCall(current, callee, cost);
      } else onSelf(current, cost);
    }
  }
}

/** Exclusive cost per function name. */
function selfCosts(text) {
  const costs = new Map();
  walkDump(text, { onSelf: (name, cost) => costs.set(name, (costs.get(name) ?? 0) + cost) });
  return costs;
}

/**
 * V8's `--perf-basic-prof` map (`/tmp/perf-<pid>.map`: `start size name`, hex) as a lookup from a code
 * address to the JavaScript function or builtin there. Code can move, so a later line wins.
 */
function readPerfMap(text) {
  const byStart = new Map();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/i.exec(line);
    if (match) byStart.set(parseInt(match[1], 16), { size: parseInt(match[2], 16), name: match[3] });
  }
  const starts = [...byStart.keys()].sort((a, b) => a - b);
  return (address) => {
    let low = 0;
    let high = starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (starts[middle] <= address) low = middle + 1;
      else high = middle - 1;
    }
    if (high < 0) return undefined;
    const entry = byStart.get(starts[high]);
    return address < starts[high] + entry.size ? entry.name : undefined;
  };
}

/** A function name as callgrind wrote it, with JIT code (`0x…`) named through the perf map. */
function namer(lookup) {
  const cache = new Map();
  return (name) => {
    if (!lookup || !/^0x[0-9a-f]+$/i.test(name)) return name;
    let named = cache.get(name);
    if (named === undefined) {
      named = lookup(parseInt(name, 16)) ?? `${name} (unnamed JIT code)`;
      cache.set(name, named);
    }
    return named;
  };
}

module.exports = { walkDump, selfCosts, readPerfMap, namer };
