// An esbuild plugin for the CLI bundle: packageurl-js builds an Intl.Collator when its module loads,
// which loads ICU's collation data (8-21 ms of the first purl of every cold run here), only to sort
// the eight names of a purl's components, each mapped to a digit ('0'..'7') first
// (purl-component.js, componentComparator). For strings of one ASCII digit the code-point order is
// the collator's; nothing else in packageurl-js uses its `localeCompare`. The plugin gives
// strings.js that comparison instead, and fails the build when the line it replaces is not there
// or another file of the package uses `localeCompare` (a newer packageurl-js: check this again).
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export const COLLATOR_LINE = 'const { compare: localeCompare } = new Intl.Collator()';
export const CODE_POINT_COMPARE =
  'const localeCompare = (a, b) => { a = String(a); b = String(b); return a < b ? -1 : a > b ? 1 : 0 } // portcullis: code-point order (scripts/packageurl-collator.mjs)';

export function packageurlCollator(root) {
  const dir = realpathSync(join(root, 'node_modules/packageurl-js/src'));
  const strings = join(dir, 'strings.js');
  const users = readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'strings.js' && /\blocaleCompare\b/.test(readFileSync(join(dir, f), 'utf8')));
  return {
    name: 'packageurl-collator',
    setup(b) {
      let applied = false;
      b.onLoad({ filter: /[\\/]packageurl-js[\\/]src[\\/]strings\.js$/ }, (args) => {
        if (realpathSync(args.path) !== strings) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(COLLATOR_LINE)) throw new Error(`packageurl-collator: ${strings} no longer reads "${COLLATOR_LINE}"; check scripts/packageurl-collator.mjs`);
        applied = true;
        return { contents: source.replace(COLLATOR_LINE, CODE_POINT_COMPARE), loader: 'js' };
      });
      b.onEnd(() => {
        if (users.join() !== 'purl-component.js') throw new Error(`packageurl-collator: packageurl-js uses localeCompare in ${users.join(', ') || 'no file'}, not only purl-component.js; check scripts/packageurl-collator.mjs`);
        if (!applied) throw new Error('packageurl-collator: the bundle never loaded packageurl-js/src/strings.js; check scripts/packageurl-collator.mjs');
      });
    },
  };
}
