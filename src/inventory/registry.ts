import type { Cataloger } from './cataloger.js';
import { rpmCataloger } from './rpm/cataloger.js';
import { dpkgCataloger } from './dpkg.js';
import { apkCataloger } from './apk.js';
import { LANGUAGE_CATALOGERS } from './lang/index.js';

// Every cataloger the walker runs. Adding an ecosystem = one import and one entry here.
export const CATALOGERS: Cataloger[] = [
  // os (keep this line: helpers add their catalogers below it)
  dpkgCataloger,
  apkCataloger,
  rpmCataloger,
  // language (keep this line: helpers add their catalogers below it)
  ...LANGUAGE_CATALOGERS,
];
