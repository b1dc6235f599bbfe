// Arbitrary-size comparison of decimal digit strings: strip leading zeros, then length, then
// lexically. Never Number(): version parts longer than 2^53 must still order correctly.
export function compareDigits(a: string, b: string): -1 | 0 | 1 {
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (ca !== cb) return ca < cb ? -1 : 1;
  }
  return 0;
}

/** Digit string without leading zeros ("0" stays "0"). */
export function stripZeros(d: string): string {
  let i = 0;
  while (i < d.length - 1 && d.charCodeAt(i) === 48) i++;
  return d.slice(i);
}

/** Plain ordinal string comparison (UTF-16 code units). */
export function compareStrings(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
export const isAlphaCode = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
