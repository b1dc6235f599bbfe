import type { Cataloger } from './cataloger.js';
import { rpmCataloger } from './rpm/cataloger.js';

// Every cataloger the walker runs. Adding an ecosystem = one import and one entry here.
export const CATALOGERS: Cataloger[] = [
  // os (keep this line: helpers add their catalogers below it)
  rpmCataloger,
  // language (keep this line: helpers add their catalogers below it)
];
