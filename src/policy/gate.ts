// What a scan's gate loads, behind one import: the policies, the decision, and the VEX and baseline
// readers (decide.ts uses their modules anyway). One import keeps the bundle's gate in few files:
// each file an ES module import reads costs ~1-2 ms of loading. The ignore file's reader (it loads
// the YAML parser) stays apart, loaded only with --ignorefile.
export { loadBaseline } from './baseline.js';
export { decide } from './decide.js';
export { loadPolicies } from './load-policies.js';
export { loadVex } from './vex.js';
