import { luhnValid } from './luhn';
import { FILTERED } from './types';

/*
 * Card numbers are found by a hand-written scanner instead of a regex: groups of digits separated by
 * one space or dash are collected once, left to right, so the cost is linear whatever the input.
 */

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
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
      const sep = s.charCodeAt(k);
      if (k + 1 < n && (sep === 32 || sep === 45) && isDigit(s.charCodeAt(k + 1))) {
        j = k + 1;
        continue;
      }
      break;
    }
    scanChain(s, starts, ends, groups, ranges);
    i = ends[groups - 1];
  }
  return ranges;
}

function scanChain(s: string, starts: number[], ends: number[], groups: number, ranges: Array<[number, number]>): void {
  // A digit run glued to a decimal point is part of a decimal number (0.4532015112830366), not a card.
  const first = starts[0];
  const skipFirst = first >= 2 && s[first - 1] === '.' && isDigit(s.charCodeAt(first - 2));
  const last = ends[groups - 1];
  const skipLast = last + 1 < s.length && s[last] === '.' && isDigit(s.charCodeAt(last + 1));
  let g = skipFirst ? 1 : 0;
  while (g < groups) {
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
    if (match >= 0 && skipLast && match === groups - 1) match = -1;
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
