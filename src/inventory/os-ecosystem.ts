// Maps the detected OS to the OSV ecosystem string its advisories are published under. The facts
// (os-release IDs, release formats) live in the OS ecosystem modules of src/ecosystems/.
export { osvEcosystemFor } from '../ecosystems/index.js';
