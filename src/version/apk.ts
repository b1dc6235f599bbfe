// Alpine / Wolfi / Chainguard versions, as apk-tools orders them (src/version.c, apk-package(5)):
// digit{.digit}...{letter}{_suffix{digits}}...{~hash}{-rN}
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, compareStrings } from './digits.js';

// Token kinds in apk-tools' order; a later token kind may not follow an "ended" one.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

// Pre-release suffixes sort below "no suffix" (5), post-release ones above.
const SUFFIX_RANK: Record<string, number> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };
const NO_SUFFIX = 5;

interface Token {
  kind: number;
  value: string;
  suffix: number;
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  const digits = (kind: number): Token => {
    const m = /^[0-9]*/.exec(s.slice(pos))![0];
    pos += m.length;
    return { kind: m === '' ? INVALID : kind, value: m, suffix: 0 };
  };
  let t = digits(INITIAL_DIGIT);
  for (;;) {
    out.push(t);
    if (t.kind >= END) return out;
    if (pos >= s.length) {
      out.push({ kind: END, value: '', suffix: 0 });
      return out;
    }
    const c = s[pos]!;
    const prev = t.kind;
    if (c >= 'a' && c <= 'z') {
      t = prev > DIGIT ? invalid() : { kind: LETTER, value: c, suffix: 0 };
      pos++;
    } else if (c === '.' || (c >= '0' && c <= '9')) {
      if (c === '.' && prev > DIGIT) t = invalid();
      else {
        if (c === '.') pos++;
        if (prev === INITIAL_DIGIT || prev === DIGIT) t = digits(DIGIT);
        else if (prev === SUFFIX) t = digits(SUFFIX_NO);
        else t = invalid();
      }
    } else if (c === '_') {
      if (prev > SUFFIX_NO) t = invalid();
      else {
        pos++;
        const name = /^[a-z]*/.exec(s.slice(pos))![0];
        pos += name.length;
        const rank = SUFFIX_RANK[name];
        t = rank === undefined ? invalid() : { kind: SUFFIX, value: name, suffix: rank };
      }
    } else if (c === '~') {
      if (prev >= COMMIT_HASH) t = invalid();
      else {
        pos++;
        const hash = /^[0-9a-f]*/.exec(s.slice(pos))![0];
        pos += hash.length;
        t = hash === '' ? invalid() : { kind: COMMIT_HASH, value: hash, suffix: 0 };
      }
    } else if (c === '-') {
      if (prev >= REVISION_NO || s[pos + 1] !== 'r') t = invalid();
      else {
        pos += 2;
        t = digits(REVISION_NO);
      }
    } else t = invalid();
  }
}

function invalid(): Token {
  return { kind: INVALID, value: '', suffix: 0 };
}

function tokenCompare(a: Token, b: Token): -1 | 0 | 1 {
  switch (a.kind) {
    case DIGIT:
      // A leading zero makes apk compare the digits as a string (Gentoo rule).
      if (a.value[0] === '0' || b.value[0] === '0') return compareStrings(a.value, b.value);
      return compareDigits(a.value, b.value);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareDigits(a.value, b.value);
    case SUFFIX:
      return a.suffix < b.suffix ? -1 : a.suffix > b.suffix ? 1 : 0;
    default:
      return compareStrings(a.value, b.value);
  }
}

export function apkValid(v: string): boolean {
  const toks = tokenize(v);
  return toks[toks.length - 1]!.kind === END;
}

export class ApkComparator implements Comparator {
  constructor(readonly ecosystem = 'Alpine') {}

  valid(v: string): boolean {
    return apkValid(v);
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    const ta = tokenize(a);
    const tb = tokenize(b);
    // `apk version -t` compares even strings apk_version_validate rejects (the invalid token
    // ends the walk and sorts low), so compare() does too; only the empty string is refused.
    if (a === '') throw new InvalidVersionError(this.ecosystem, a, 'empty version');
    if (b === '') throw new InvalidVersionError(this.ecosystem, b, 'empty version');
    let k = 0;
    for (; ta[k]!.kind === tb[k]!.kind && ta[k]!.kind < END; k++) {
      const r = tokenCompare(ta[k]!, tb[k]!);
      if (r !== 0) return r;
    }
    const x = ta[k]!;
    const y = tb[k]!;
    if (x.kind === y.kind) return 0;
    // Equal so far: the longer one is newer unless it goes on with a pre-release suffix.
    if (x.kind === SUFFIX && x.suffix < NO_SUFFIX) return -1;
    if (y.kind === SUFFIX && y.suffix < NO_SUFFIX) return 1;
    if (x.kind > y.kind) return -1;
    if (y.kind > x.kind) return 1;
    return 0;
  }
}
