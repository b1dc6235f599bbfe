// Differential tests: thousands of generated pairs, each ecosystem's real tool vs our comparator.
// Agreement must be 100 %. A missing tool fails in CI and skips (saying why) elsewhere.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { affects, getComparator, SEMVER_RANGE_COMPARATOR } from '../../src/version/index.js';
import type { OsvRecord } from '../../src/model/osv.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { parsePep440 } from '../../src/version/pypi.js';
import type { Comparator } from '../../src/version/comparator.js';
import { debGen, mavenGen, pairs, prng, pypiGen, rpmGen, semverGen } from './generate.js';

const CI = !!process.env.CI;

function have(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** A suite for a tool: runs when present; when absent, fails in CI and skips locally with a reason. */
function toolSuite(name: string, present: boolean, body: () => void): void {
  if (!present && CI) {
    it(`${name} is installed (required in CI)`, () => expect.fail(`${name} is missing`));
    return;
  }
  if (!present) console.warn(`[portcullis tests] ${name} not found: its differential test is skipped`);
  describe.skipIf(!present)(name, body);
}

function ours(cmp: Pick<Comparator, 'compare'>, list: [string, string][]): string[] {
  return list.map(([a, b]) => {
    try {
      return String(cmp.compare(a, b));
    } catch {
      return 'E';
    }
  });
}

function expectSame(list: [string, string][], want: string[], got: string[]): void {
  expect(want.length).toBe(list.length);
  const bad = list.flatMap(([a, b], i) => (want[i] === got[i] ? [] : [`${JSON.stringify(a)} vs ${JSON.stringify(b)}: tool ${want[i]}, ours ${got[i]}`]));
  expect(bad.slice(0, 20)).toEqual([]);
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'portcullis-vercmp-'));

toolSuite('dpkg', have('dpkg', ['--version']), () => {
  it('agrees with dpkg --compare-versions on 1500 generated pairs', () => {
    const r = prng(0xdeb);
    const list = pairs(debGen(r), r, 1500);
    const dir = tmp();
    writeFileSync(join(dir, 'pairs'), list.map(([a, b]) => `${a}\t${b}`).join('\n') + '\n');
    // One shell loop; dpkg only warns about odd characters and still compares.
    const script = `while IFS='\t' read -r a b; do
      if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo -1
      elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0
      elif dpkg --compare-versions "$a" gt "$b" 2>/dev/null; then echo 1
      else echo E; fi
    done < "$1"`;
    const want = execFileSync('sh', ['-c', script, 'sh', join(dir, 'pairs')], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n');
    expect(want.filter((w) => w !== 'E').length).toBeGreaterThan(1000);
    expectSame(list, want, ours(getComparator('Debian')!, list));
  }, 120_000);
});

toolSuite('rpm', have('rpm', ['--version']), () => {
  it('agrees with rpm.vercmp (rpm --eval lua) on 5000 generated pairs', () => {
    const r = prng(0x4e7);
    const list = pairs(rpmGen(r), r, 5000);
    const dir = tmp();
    const file = join(dir, 'pairs');
    writeFileSync(file, list.map(([a, b]) => `${a}\t${b}`).join('\n') + '\n');
    const lua = `%{lua: for line in io.lines("${file}") do local a, b = line:match("^(.-)\\t(.*)$"); io.write(rpm.vercmp(a, b), "\\n") end}`;
    const want = execFileSync('rpm', ['--eval', lua], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n');
    expectSame(list, want, ours(getComparator('Red Hat')!, list));
  }, 60_000);
});

const PY = `import sys
from packaging.version import Version, InvalidVersion
def parse(s):
    try: return Version(s)
    except InvalidVersion: return None
for line in sys.stdin.read().split("\\n")[:-1]:
    a, b = line.split("\\x1f")
    x, y = parse(a), parse(b)
    if x is None or y is None: print("E")
    else: print((x > y) - (x < y))
`;
toolSuite('python3 packaging', have('python3', ['-c', 'import packaging.version']), () => {
  it('agrees with packaging.version on 5000 generated pairs (and on which strings are PEP 440)', () => {
    const r = prng(0x440);
    const list = pairs(pypiGen(r), r, 5000);
    const input = list.map(([a, b]) => `${a}\x1f${b}`).join('\n') + '\n';
    const want = execFileSync('python3', ['-c', PY], { input, encoding: 'utf8', maxBuffer: 1 << 26 }).trimEnd().split('\n');
    const pypi = getComparator('PyPI')!;
    const got = list.map(([a, b]) => (parsePep440(a) && parsePep440(b) ? String(pypi.compare(a, b)) : 'E'));
    expect(want.filter((w) => w !== 'E').length).toBeGreaterThan(3000);
    expectSame(list, want, got);
  }, 60_000);
});

const JAVA = `import java.io.*;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;
public class MavenCmp {
  public static void main(String[] args) throws Exception {
    System.out.println(ComparableVersion.class.getPackage().getImplementationVersion());
    BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintWriter w = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
    String line;
    while ((line = r.readLine()) != null) {
      int t = line.indexOf('\\t');
      w.println(Integer.signum(new ComparableVersion(line.substring(0, t)).compareTo(new ComparableVersion(line.substring(t + 1)))));
    }
    w.flush();
  }
}
`;
// Maven 3.9's maven-artifact jar: PORTCULLIS_MAVEN_ARTIFACT_JAR, else the system Maven's.
function mavenJar(): string | undefined {
  if (process.env.PORTCULLIS_MAVEN_ARTIFACT_JAR) return process.env.PORTCULLIS_MAVEN_ARTIFACT_JAR;
  const lib = '/usr/share/maven/lib';
  const jar = existsSync(lib) ? readdirSync(lib).find((f) => /^maven-artifact.*\.jar$/.test(f)) : undefined;
  return jar ? join(lib, jar) : undefined;
}
const jar = mavenJar();
toolSuite('Maven ComparableVersion (java, javac, maven-artifact jar)', !!jar && have('javac', ['-version']), () => {
  it('agrees with Maven 3.9 ComparableVersion on 5000 generated pairs', (ctx) => {
    const dir = tmp();
    writeFileSync(join(dir, 'MavenCmp.java'), JAVA);
    execFileSync('javac', ['-cp', jar!, '-d', dir, join(dir, 'MavenCmp.java')]);
    const r = prng(0x3a7);
    const list = pairs(mavenGen(r), r, 5000);
    const out = execFileSync('java', ['-cp', `${jar}:${dir}`, 'MavenCmp'], {
      input: list.map(([a, b]) => `${a}\t${b}`).join('\n') + '\n',
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    })
      .trim()
      .split('\n');
    const version = out.shift()!;
    if (!/^3\.9\./.test(version) && !CI) {
      console.warn(`[portcullis tests] maven-artifact ${version} at ${jar} is not 3.9.x: set PORTCULLIS_MAVEN_ARTIFACT_JAR; Maven differential skipped`);
      ctx.skip();
    }
    // The target is Maven 3.9; an older jar (Debian 12 ships 3.8.7) orders some pairs differently.
    expect(version, `maven-artifact ${version} at ${jar}: set PORTCULLIS_MAVEN_ARTIFACT_JAR to a 3.9.x jar`).toMatch(/^3\.9\./);
    expectSame(list, out, ours(getComparator('Maven')!, list));
  }, 120_000);
});

describe('node-semver as the reference for our own SemVer 2.0 code', () => {
  it('crates.io, Go and OSV SEMVER comparators agree with semver.compare on 5000 strict pairs', () => {
    const r = prng(0x5e5);
    const list = pairs(semverGen(r, false), r, 5000);
    const want = list.map(([a, b]) => (semver.valid(a) && semver.valid(b) ? String(semver.compare(a, b)) : 'E'));
    expect(want.filter((w) => w !== 'E').length).toBeGreaterThan(2000);
    expectSame(list, want, ours(getComparator('crates.io')!, list));
    const valid = list.filter((_, i) => want[i] !== 'E');
    const validWant = want.filter((w) => w !== 'E');
    expectSame(valid, validWant, ours(getComparator('Go')!, valid));
    expectSame(valid, validWant, ours(SEMVER_RANGE_COMPARATOR, valid));
  });
});

// `versions` lists (issue 17): membership is PEP 440 equality, as packaging decides it. Every list of
// the real pypa advisory records, probed with spellings of its own entries that packaging calls equal
// (and a few it does not).
const PY_MEMBER = `import sys, json
from packaging.version import Version, InvalidVersion
def parse(s):
    try: return Version(s)
    except InvalidVersion: return None
out = []
for lst, probes in json.load(sys.stdin):
    listed = {parse(v) for v in lst} - {None}
    for probe in probes:
        p = parse(probe)
        out.append(probe in lst or (p is not None and p in listed))
print(json.dumps(out))
`;
const pysecDir = join(PROJECT_ROOT, '..', 'shared', 'data', 'osv', 'pypa-pysec');
toolSuite('python3 packaging (versions lists)', existsSync(pysecDir) && have('python3', ['-c', 'import packaging.version']), () => {
  it('affects() lists a version exactly when packaging finds it equal to a listed one', () => {
    const r = prng(0x17);
    const cases: [string[], string][] = [];
    for (const f of readdirSync(pysecDir).filter((n) => n.endsWith('.json')).sort()) {
      const rec = JSON.parse(readFileSync(join(pysecDir, f), 'utf8')) as OsvRecord;
      for (const a of rec.affected ?? []) {
        const list = a.versions ?? [];
        if (a.package?.ecosystem !== 'PyPI' || list.length === 0) continue;
        const v = list[Math.floor(r() * list.length)]!;
        const spellings = [v, `${v}.0`, `0!${v}`, v.replace(/rc/, 'c'), v.replace(/rc/, '-rc'), v.replace(/\.0$/, ''), `${v}.1`, `${v}+local`, v.toUpperCase()];
        for (const probe of spellings) cases.push([list, probe]);
      }
    }
    expect(cases.length).toBeGreaterThan(5000);
    const grouped = new Map<string[], string[]>();
    for (const [list, probe] of cases) grouped.set(list, [...(grouped.get(list) ?? []), probe]);
    const want = JSON.parse(execFileSync('python3', ['-c', PY_MEMBER], { input: JSON.stringify([...grouped]), encoding: 'utf8', maxBuffer: 1 << 28 })) as boolean[];
    const got = cases.map(([versions, probe]) => affects({ package: { ecosystem: 'PyPI', name: 'p' }, versions }, probe).affected);
    const bad = cases.flatMap(([, probe], i) => (want[i] === got[i] ? [] : [`${probe}: packaging ${want[i]}, ours ${got[i]}`]));
    expect(bad.slice(0, 20)).toEqual([]);
    expect(want.filter((w, i) => w && !cases[i]![0].includes(cases[i]![1])).length).toBeGreaterThan(100);
  }, 120_000);
});

describe('node-semver as the reference for npm versions lists', () => {
  it('affects() lists a version exactly when semver.eq finds it equal to a listed one', () => {
    const r = prng(0x18);
    const gen = semverGen(r, false);
    let equalButDifferent = 0;
    for (let i = 0; i < 3000; i++) {
      const v = gen();
      if (!semver.valid(v)) continue;
      const listed = [v, gen(), gen()];
      for (const probe of [`v${v}`, `${v}+build.${i}`, `=${v}`, v.replace(/^(\d+)/, '0$1'), gen()]) {
        const want = listed.some((l) => semver.valid(l, { loose: true }) && semver.valid(probe, { loose: true }) && semver.eq(l, probe, { loose: true })) || listed.includes(probe);
        const got = affects({ package: { ecosystem: 'npm', name: 'p' }, versions: listed }, probe).affected;
        expect([listed, probe, got]).toEqual([listed, probe, want]);
        if (want && !listed.includes(probe)) equalButDifferent++;
      }
    }
    expect(equalButDifferent).toBeGreaterThan(1000);
  });
});
