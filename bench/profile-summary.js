#!/usr/bin/env node
'use strict';
/**
 * node bench/profile-summary.js <file.cpuprofile> [top=25] [startup|serving|all] [requests]
 * Self time by function and by package (node_modules/<pkg>, dist/<dir>, node internals), and the
 * inclusive time of functions (which calls cost the most with everything under them).
 * `serving` (default) keeps the samples from the first request on; `startup` those before it.
 * With the number of requests served (run.js prints it), times are also shown per request.
 */
const fs = require('node:fs');

const [file, topArg, phase = 'serving', requestsArg] = process.argv.slice(2);
const requests = Number(requestsArg || 0);
if (!file) {
  console.error('usage: node bench/profile-summary.js <file.cpuprofile> [top]');
  process.exit(1);
}
const top = Number(topArg || 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

// The first sample inside Node's HTTP request handling splits start-up from serving.
const servesRequest = new Map();
function isServing(id) {
  if (servesRequest.has(id)) return servesRequest.get(id);
  const node = nodes.get(id);
  const answer = node.callFrame.functionName === 'parserOnIncoming' || (parent.has(id) && isServing(parent.get(id)));
  servesRequest.set(id, answer);
  return answer;
}
let firstServing = profile.samples.findIndex((id) => isServing(id));
if (firstServing === -1) firstServing = profile.samples.length;

// Self time per node from the sample deltas.
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  if (phase === 'serving' && i < firstServing) continue;
  if (phase === 'startup' && i >= firstServing) continue;
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function packageOf(url) {
  if (!url) return '(native/vm)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = /\/(dist\/[^/]+\/[^/]+|bench\/[^/]+)/.exec(url);
  return dist ? dist[1] : url;
}
const label = (node) => {
  const f = node.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '')}:${f.lineNumber + 1}`;
};

/** The package responsible for a sample: the nearest frame (leaf upwards) outside Node's internals. */
const ownerCache = new Map();
function ownerOf(id) {
  if (ownerCache.has(id)) return ownerCache.get(id);
  const node = nodes.get(id);
  const pkg = packageOf(node.callFrame.url);
  let owner;
  if (['(garbage collector)', '(idle)', '(program)'].includes(node.callFrame.functionName)) owner = node.callFrame.functionName;
  else if (!pkg.startsWith('node:') && pkg !== '(native/vm)') owner = pkg;
  else owner = parent.has(id) ? ownerOf(parent.get(id)) : pkg;
  ownerCache.set(id, owner);
  return owner;
}

/** At start-up: the module whose top-level code (its requires included) is running. */
const moduleCache = new Map();
function loadingModuleOf(id) {
  if (moduleCache.has(id)) return moduleCache.get(id);
  const node = nodes.get(id);
  const f = node.callFrame;
  let owner;
  if (f.functionName === '' && f.lineNumber === 0 && f.url && !f.url.startsWith('node:')) owner = packageOf(f.url);
  else owner = parent.has(id) ? loadingModuleOf(parent.get(id)) : '(not loading a module)';
  moduleCache.set(id, owner);
  return owner;
}

const byModule = new Map();
const bySelf = new Map();
const byOwner = new Map();
const byPackage = new Map();
const inclusive = new Map();
for (const [id, us] of selfUs) {
  const node = nodes.get(id);
  const key = label(node);
  bySelf.set(key, (bySelf.get(key) ?? 0) + us);
  const loading = loadingModuleOf(id);
  byModule.set(loading, (byModule.get(loading) ?? 0) + us);
  const owner = ownerOf(id);
  byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
  const pkg = packageOf(node.callFrame.url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  // Inclusive: add to every distinct function on the stack once.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const name = label(nodes.get(cur));
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}

const show = (title, map, count) => {
  console.log(`\n## ${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    const perRequest = requests ? `${(us / requests).toFixed(1).padStart(7)} µs/req  ` : '';
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${perRequest}${name}`);
  }
};
console.log(`${file} (${phase}): ${(total / 1e6).toFixed(2)} s sampled`);
if (phase === 'startup') show('start-up time by the package whose module code runs (its own requires included)', byModule, top);
show('time by owning package (Node internals charged to their caller)', byOwner, top);
show('self time by package', byPackage, top);
show('self time by function', bySelf, top);
show('inclusive time by function', inclusive, top);
