import type { Cataloger } from './cataloger.js';

// Every cataloger the walker runs. Adding an ecosystem = one import and one entry here.
export const CATALOGERS: Cataloger[] = [
  // os (keep this line: helpers add their catalogers below it)
  // language (keep this line: helpers add their catalogers below it)
];
