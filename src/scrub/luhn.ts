/** Luhn (mod 10) check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The digit that makes `payload + digit` Luhn-valid (used to build test card numbers). */
export function luhnCheckDigit(payload: string): number {
  for (let d = 0; d <= 9; d++) {
    if (luhnValid(payload + String(d))) return d;
  }
  throw new TypeError(`luhnCheckDigit: payload must be digits, got ${JSON.stringify(payload)}`);
}
