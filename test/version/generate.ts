// Seeded generators of version strings built to hit each grammar's edge cases.
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Gen = () => string;

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function seq(r: () => number, min: number, max: number, part: () => string): string {
  const n = min + Math.floor(r() * (max - min + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += part();
  return s;
}

const NUMS = ['0', '1', '2', '9', '10', '00', '01', '010', '99', '123'];

export function debGen(r: () => number): Gen {
  const up = (): string => pick(r, NUMS) + seq(r, 0, 4, () => pick(r, [...NUMS, '.', '~', '+', 'a', 'z', 'A', '~rc', '.dfsg', '+b', '~~', '-']));
  return () => {
    const epoch = r() < 0.2 ? `${pick(r, ['0', '1', '2', '10'])}:` : '';
    let u = up();
    const rev = r() < 0.6 ? `-${seq(r, 1, 3, () => pick(r, [...NUMS, '.', '~', '+', 'ubuntu', 'deb12u', 'a']))}` : '';
    if (!rev) u = u.replaceAll('-', '.');
    return epoch + u + rev;
  };
}

export function rpmGen(r: () => number): Gen {
  const part = (): string => pick(r, [...NUMS, '.', '~', '^', '_', 'a', 'Z', 'rc', 'el8', '+', 'git', '..']);
  return () => {
    const epoch = r() < 0.2 ? `${pick(r, ['0', '1', '2', '10'])}:` : '';
    const v = pick(r, NUMS) + seq(r, 0, 4, part);
    const rel = r() < 0.6 ? `-${seq(r, 1, 3, part)}` : '';
    return epoch + v + rel;
  };
}

export function pypiGen(r: () => number): Gen {
  const sep = (): string => pick(r, ['', '', '.', '-', '_']);
  return () => {
    let s = r() < 0.15 ? `${pick(r, ['0', '1', '2', '00'])}!` : '';
    if (r() < 0.05) s = 'v' + s;
    s += pick(r, NUMS) + seq(r, 0, 3, () => `.${pick(r, NUMS)}`);
    if (r() < 0.4) s += sep() + pick(r, ['a', 'b', 'c', 'rc', 'alpha', 'beta', 'pre', 'preview', 'RC', 'A']) + sep() + (r() < 0.7 ? pick(r, NUMS) : '');
    if (r() < 0.3) s += r() < 0.3 ? `-${pick(r, NUMS)}` : sep() + pick(r, ['post', 'rev', 'r', 'POST']) + sep() + (r() < 0.7 ? pick(r, NUMS) : '');
    if (r() < 0.3) s += sep() + pick(r, ['dev', 'DEV']) + sep() + (r() < 0.7 ? pick(r, NUMS) : '');
    if (r() < 0.2) s += `+${pick(r, ['ubuntu', '1', 'abc', '01'])}${seq(r, 0, 2, () => pick(r, ['.', '-', '_']) + pick(r, ['1', 'x', '02', 'Z']))}`;
    if (r() < 0.05) s = pick(r, [' ', '\t']) + s + ' ';
    if (r() < 0.05) s += pick(r, ['.', '+', 'x', '..1', '-']);
    return s;
  };
}

export function mavenGen(r: () => number): Gen {
  const tok = (): string =>
    pick(r, [...NUMS, 'alpha', 'a', 'b', 'beta', 'm', 'milestone', 'rc', 'cr', 'snapshot', 'SNAPSHOT', 'ga', 'final', 'release', 'sp', 'foo', 'RC', 'Final']);
  const sep = (): string => pick(r, ['.', '.', '-', '-', '', '_']);
  return () => tok() + seq(r, 0, 5, () => sep() + tok());
}

export function semverGen(r: () => number, withV: boolean): Gen {
  const num = (): string => pick(r, ['0', '1', '2', '10', '11', '99']);
  const id = (): string => pick(r, ['0', '1', '2', '10', 'alpha', 'beta', 'rc', 'a1', 'x-y', 'A', '00a', '1a']);
  return () => {
    let s = `${num()}.${num()}.${num()}`;
    if (r() < 0.5) s += `-${id()}${seq(r, 0, 3, () => `.${id()}`)}`;
    if (r() < 0.2) s += `+${pick(r, ['build', '1', 'incompatible', 'x.y'])}`;
    return withV && r() < 0.3 ? `v${s}` : s;
  };
}

/** n pairs: mostly independent strings, some equal or near-equal ones (shared prefixes). */
export function pairs(gen: Gen, r: () => number, n: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const a = gen();
    const roll = r();
    const b = roll < 0.1 ? a : roll < 0.3 ? a + gen().slice(0, 3) : gen();
    out.push(r() < 0.5 ? [a, b] : [b, a]);
  }
  return out;
}
