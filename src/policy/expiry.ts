/** An item dated `expires: YYYY-MM-DD` stops applying at 00:00 UTC on that day (fail closed). */
export function isExpired(expires: string, now: Date): boolean {
  const t = Date.parse(`${expires}T00:00:00Z`);
  return Number.isNaN(t) || now.getTime() >= t;
}
