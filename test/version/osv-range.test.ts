import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { affects } from '../../src/version/index.js';
import type { OsvAffected, OsvRecord } from '../../src/model/osv.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';

const pkg = (ecosystem: string) => ({ ecosystem, name: 'p' });

describe('affects(): OSV range evaluation', () => {
  const one: OsvAffected = { package: pkg('PyPI'), ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0' }, { fixed: '1.5' }] }] };
  it('introduced is inclusive, fixed exclusive, and reports the fix', () => {
    expect(affects(one, '0.9')).toEqual({ affected: false, fixed: [], lastAffected: [] });
    expect(affects(one, '1.0')).toEqual({ affected: true, fixed: ['1.5'], lastAffected: [] });
    expect(affects(one, '1.4.99')).toMatchObject({ affected: true });
    expect(affects(one, '1.5rc1')).toMatchObject({ affected: true }); // a prerelease of the fix is before it
    expect(affects(one, '1.5')).toMatchObject({ affected: false });
  });

  it('last_affected is inclusive', () => {
    const a: OsvAffected = { package: pkg('npm'), ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '2.0.0' }] }] };
    expect(affects(a, '2.0.0')).toEqual({ affected: true, fixed: [], lastAffected: ['2.0.0'] });
    expect(affects(a, '2.0.1').affected).toBe(false);
    expect(affects(a, '0.0.1').affected).toBe(true);
  });

  it('limit caps a range', () => {
    const a: OsvAffected = { package: pkg('Debian'), ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { limit: '2.0-1' }] }] };
    expect(affects(a, '1.9-1').affected).toBe(true);
    expect(affects(a, '2.0-1').affected).toBe(false);
  });

  it('handles several introduced/fixed pairs, unsorted events and several ranges', () => {
    const a: OsvAffected = {
      package: pkg('Go'),
      ranges: [
        { type: 'SEMVER', events: [{ fixed: '1.13.7' }, { introduced: '1.13.0-0' }, { fixed: '1.12.16' }, { introduced: '0' }] },
        { type: 'SEMVER', events: [{ introduced: '1.20.0' }, { fixed: '1.20.3' }] },
      ],
    };
    expect(affects(a, '1.12.15')).toEqual({ affected: true, fixed: ['1.12.16', '1.13.7'], lastAffected: [] });
    expect(affects(a, '1.12.16').affected).toBe(false);
    expect(affects(a, '1.13.0-rc1').affected).toBe(true);
    expect(affects(a, '1.13.7').affected).toBe(false);
    expect(affects(a, 'v1.20.2')).toEqual({ affected: true, fixed: ['1.20.3'], lastAffected: [] });
    expect(affects(a, '1.20.3').affected).toBe(false);
  });

  it('counts exact versions-list membership, ignores GIT ranges', () => {
    const a: OsvAffected = {
      package: pkg('PyPI'),
      versions: ['2.0.0-final'],
      ranges: [{ type: 'GIT', repo: 'https://example.org/x', events: [{ introduced: '0' }, { fixed: 'abcdef0' }] }],
    };
    expect(affects(a, '2.0.0-final').affected).toBe(true);
    expect(affects(a, '2.0.0').affected).toBe(false); // GIT says nothing about package versions
  });

  it('refuses invalid versions and events instead of guessing', () => {
    const deb: OsvAffected = { package: pkg('Debian:12'), ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2-1' }] }] };
    const r = affects(deb, 'a:1');
    expect(r.affected).toBe(false);
    expect(r.invalid).toMatch(/epoch/);
    const badEvent: OsvAffected = { package: pkg('Go'), ranges: [{ type: 'SEMVER', events: [{ introduced: 'not-a-version' }] }] };
    expect(affects(badEvent, '1.0.0')).toMatchObject({ affected: false, invalid: expect.stringMatching(/not-a-version/) });
    const unknown: OsvAffected = { package: pkg('NoSuchEco'), ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] };
    expect(affects(unknown, '1').invalid).toMatch(/no version comparator/);
  });
});

describe.skipIf(!HAVE_SHARED)('affects() on real OSV records', () => {
  const load = (dir: string, id: string): OsvRecord => JSON.parse(readFileSync(shared('data', 'osv', dir, `${id}.json`), 'utf8')) as OsvRecord;

  it('GO-2022-0229 (stdlib, SEMVER, two introduced/fixed pairs)', () => {
    const a = load('go-vulndb', 'GO-2022-0229').affected![0]!;
    expect(affects(a, '1.12.15')).toMatchObject({ affected: true, fixed: ['1.12.16', '1.13.7'] });
    expect(affects(a, '1.12.16').affected).toBe(false);
    expect(affects(a, '1.13.6').affected).toBe(true);
    expect(affects(a, '1.13.7').affected).toBe(false);
    expect(affects(a, '1.14.0').affected).toBe(false);
  });

  it('PYSEC-2006-1 (cherrypy, PyPI ECOSYSTEM + versions list)', () => {
    const a = load('pypa-pysec', 'PYSEC-2006-1').affected![0]!;
    expect(affects(a, '2.1.0')).toEqual({ affected: true, fixed: ['2.1.1'], lastAffected: [] });
    expect(affects(a, '2.0.0-final').affected).toBe(true); // a listed legacy version
    expect(affects(a, '2.1.1').affected).toBe(false);
    expect(affects(a, '3.0').affected).toBe(false);
  });
});
