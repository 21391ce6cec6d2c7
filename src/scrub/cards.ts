import { luhnValid } from './luhn';
import { FILTERED } from './types';

/*
 * Card numbers are found by a hand-written scanner instead of a regex: groups of digits separated by
 * one to three separator characters are collected once, left to right, so the cost is linear whatever the
 * input.
 */

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * What cards are written with between groups: space, dash, dot, slash, underscore, no-break and thin
 * spaces, en dash (`4111 1111`, `4111-1111`, `4111.1111`, `4111  1111`, `4111 - 1111`).
 */
function isSeparator(code: number): boolean {
  return code === 32 || code === 45 || code === 46 || code === 47 || code === 95 || code === 0xa0 || code === 0x2009 || code === 0x202f || code === 0x2013;
}

/** Separators between two groups at most (`4111 - 1111`). */
const MAX_SEPARATORS = 3;

/** Where the next group starts after a group ending at `k`: past one to three separators, or -1. */
function nextGroupStart(s: string, k: number): number {
  for (let at = k; at < k + MAX_SEPARATORS; at++) {
    if (!isSeparator(s.charCodeAt(at))) return -1;
    if (isDigit(s.charCodeAt(at + 1))) return at + 1;
  }
  return -1;
}

/** A decimal point between digits: the digits either side belong to a number, not a card. */
function isDecimalPoint(s: string, at: number): boolean {
  return s[at] === '.' && isDigit(s.charCodeAt(at - 1)) && isDigit(s.charCodeAt(at + 1));
}

/**
 * Payment cards start with 2-6 (Mastercard, Amex/Diners/JCB, Visa, Discover/UnionPay/Maestro);
 * 15-digit UATP cards start with 1. Excluding other leading digits keeps millisecond/nanosecond
 * timestamps (1732800000000) and similar ids from being mistaken for cards.
 */
export function isCardNumber(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19) return false;
  const first = digits.charCodeAt(0) - 48;
  if (!(first >= 2 && first <= 6) && !(first === 1 && n === 15)) return false;
  return luhnValid(digits);
}

/**
 * Returns [start, end) ranges of card numbers. Accepted layouts: one run of 13-19 digits, or a first
 * group of exactly 4 digits followed by groups of 4-6 (the last may be 1-6) — the layouts cards are
 * printed in (4-4-4-4, 4-6-5, 4-4-4-4-3). Anything else (UUIDs, dates, phone numbers) is not a card.
 * The number must pass the Luhn check.
 */
export function findCards(s: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const n = s.length;
  // Reused for every chain; `groups` says how many entries are current (setting an array's length
  // would go through V8's runtime on every chain).
  const starts: number[] = [];
  const ends: number[] = [];
  let i = 0;
  while (i < n) {
    if (!isDigit(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let groups = 0;
    let j = i;
    for (;;) {
      let k = j;
      while (k < n && isDigit(s.charCodeAt(k))) k++;
      starts[groups] = j;
      ends[groups] = k;
      groups++;
      const next = nextGroupStart(s, k);
      if (next === -1) break;
      j = next;
    }
    scanChain(s, starts, ends, groups, ranges);
    i = ends[groups - 1];
  }
  return ranges;
}

function scanChain(s: string, starts: number[], ends: number[], groups: number, ranges: Array<[number, number]>): void {
  let g = 0;
  while (g < groups) {
    // A digit run glued to a decimal point is part of a decimal number (0.4532015112830366), not a card.
    if (isDecimalPoint(s, starts[g] - 1)) {
      g++;
      continue;
    }
    const len0 = ends[g] - starts[g];
    let match = -1;
    if (len0 >= 13 && len0 <= 19) {
      if (isCardNumber(s.slice(starts[g], ends[g]))) match = g;
    } else if (len0 === 4) {
      let digits = s.slice(starts[g], ends[g]);
      for (let h = g + 1; h < groups; h++) {
        const len = ends[h] - starts[h];
        if (len > 6 || digits.length + len > 19) break;
        digits += s.slice(starts[h], ends[h]);
        if (digits.length >= 13 && isCardNumber(digits)) match = h;
        if (len < 4) break;
      }
    }
    if (match >= 0 && isDecimalPoint(s, ends[match])) match = -1;
    if (match >= 0) {
      ranges.push([starts[g], ends[match]]);
      g = match + 1;
    } else {
      g++;
    }
  }
}

export function scrubCards(s: string): string {
  const ranges = findCards(s);
  if (ranges.length === 0) return s;
  let out = '';
  let last = 0;
  for (const [start, end] of ranges) {
    out += s.slice(last, start) + FILTERED;
    last = end;
  }
  return out + s.slice(last);
}
