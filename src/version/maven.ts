// Maven versions, ordered as org.apache.maven.artifact.versioning.ComparableVersion (Maven 3.9):
// a version is a list of items (numbers, qualifiers, "combination" qualifier+number, sub-lists
// started by '-'), with trailing null items trimmed, compared with padding.
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, compareStrings, stripZeros } from './digits.js';
import { memoizeParse } from './memo.js';

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = '5';

// Java's Character.isDigit accepts every Unicode decimal digit; Integer parsing maps it to its value.
const UNICODE_DIGIT = /\p{Nd}/u;
function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9' ? true : ch > '\x7f' && UNICODE_DIGIT.test(ch);
}
function asciiDigits(s: string): string {
  if (/^[0-9]*$/.test(s)) return s;
  let out = '';
  for (const ch of s.split('')) {
    if (ch >= '0' && ch <= '9') {
      out += ch;
      continue;
    }
    // Unicode Nd characters come in runs of ten consecutive code points starting at zero.
    let base = ch.codePointAt(0)!;
    while (UNICODE_DIGIT.test(String.fromCodePoint(base - 1))) base--;
    out += String((ch.codePointAt(0)! - base) % 10);
  }
  return out;
}

type Item = IntItem | StringItem | ListItem;

class IntItem {
  readonly kind = 'int';
  constructor(readonly digits: string) {}
  isNull(): boolean {
    return this.digits === '0';
  }
  compareTo(o: Item | null): number {
    if (o === null) return this.isNull() ? 0 : 1;
    if (o.kind === 'int') return compareDigits(this.digits, o.digits);
    return 1; // 1.1 > 1-sp, 1.1 > 1-1
  }
}

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i >= 0 ? String(i) : `${QUALIFIERS.length}-${q}`;
}

class StringItem {
  readonly kind = 'string';
  readonly value: string;
  constructor(value: string, followedByDigit: boolean) {
    if (followedByDigit && value.length === 1) {
      value = value === 'a' ? 'alpha' : value === 'b' ? 'beta' : value === 'm' ? 'milestone' : value;
    }
    this.value = ALIASES[value] ?? value;
  }
  isNull(): boolean {
    return this.value === '';
  }
  compareTo(o: Item | null): number {
    if (o === null) return compareStrings(comparableQualifier(this.value), RELEASE_INDEX);
    switch (o.kind) {
      case 'int':
      case 'list':
        return -1;
      case 'string':
        return compareStrings(comparableQualifier(this.value), comparableQualifier(o.value));
    }
  }
}

class ListItem {
  readonly kind = 'list';
  readonly items: Item[] = [];
  isNull(): boolean {
    return this.items.length === 0;
  }
  normalize(): void {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const last = this.items[i]!;
      if (last.isNull()) {
        this.items.splice(i, 1); // trailing 0, "", empty list
      } else if (last.kind !== 'list') {
        break;
      }
    }
  }
  compareTo(o: Item | null): number {
    if (o === null) {
      for (const it of this.items) {
        const r = it.compareTo(null);
        if (r !== 0) return r;
      }
      return 0;
    }
    switch (o.kind) {
      case 'int':
        return -1; // 1-1 < 1.0.x
      case 'string':
        return 1; // 1-1 > 1-sp
      case 'list': {
        const n = Math.max(this.items.length, o.items.length);
        for (let i = 0; i < n; i++) {
          const l = this.items[i] ?? null;
          const r = o.items[i] ?? null;
          const c = l === null ? (r === null ? 0 : -1 * r.compareTo(null)) : l.compareTo(r);
          if (c !== 0) return c;
        }
        return 0;
      }
    }
  }
}

function parseItem(isDigitRun: boolean, buf: string): Item {
  return isDigitRun ? new IntItem(stripZeros(asciiDigits(buf))) : new StringItem(buf, false);
}

export function parseMaven(version: string): ListItem {
  const v = version.toLowerCase(); // UTF-16 units, like Java's charAt
  const items = new ListItem();
  let list = items;
  const stack: ListItem[] = [list];
  let isDigitRun = false;
  let start = 0;
  const push = (): void => {
    const next = new ListItem();
    list.items.push(next);
    list = next;
    stack.push(list);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '.') {
      list.items.push(i === start ? new IntItem('0') : parseItem(isDigitRun, v.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      list.items.push(i === start ? new IntItem('0') : parseItem(isDigitRun, v.slice(start, i)));
      start = i + 1;
      push();
    } else if (isDigit(c)) {
      if (!isDigitRun && i > start) {
        // "alpha1": a qualifier directly followed by digits (a/b/m become alpha/beta/milestone).
        // 1.0.0.X1 < 1.0.0-X2: a qualifier after '.' opens a sub-list as if after '-'.
        if (list.items.length > 0) push();
        list.items.push(new StringItem(v.slice(start, i), true));
        start = i;
        push();
      }
      isDigitRun = true;
    } else {
      if (isDigitRun && i > start) {
        list.items.push(parseItem(true, v.slice(start, i)));
        start = i;
        push();
      }
      isDigitRun = false;
    }
  }
  if (v.length > start) {
    if (!isDigitRun && list.items.length > 0) push(); // treat a final .X as -X
    list.items.push(parseItem(isDigitRun, v.slice(start)));
  }
  while (stack.length > 0) stack.pop()!.normalize();
  return items;
}

// Parsed versions are never mutated after parseMaven returns, so they can be shared.
const parseCached = memoizeParse(parseMaven);

const OSGI_PLACEHOLDER = /[.-]qualifier$/i;

export class MavenComparator implements Comparator {
  readonly ecosystem = 'Maven';

  /**
   * Any non-empty string orders, but `3.11.500.qualifier` is not a release: OSGi builds write the
   * literal `qualifier` where a build stamp was meant to go, so no advisory range can place it.
   */
  valid(v: string): boolean {
    return v.trim() !== '' && !OSGI_PLACEHOLDER.test(v);
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    for (const v of [a, b]) {
      if (!this.valid(v)) throw new InvalidVersionError(this.ecosystem, v, v.trim() === '' ? 'empty version' : "an unexpanded OSGi '.qualifier' placeholder, not a release version");
    }
    const r = parseCached(a).compareTo(parseCached(b));
    return r < 0 ? -1 : r > 0 ? 1 : 0;
  }
}
