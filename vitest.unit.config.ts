// `npm run test:unit`: the fast tier (test/tiers.ts says which files: no subprocess, browser,
// network server or image build). `npm test` (vitest.config.ts) still runs every file.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { unitTestFiles } from './test/tiers.js';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  test: {
    include: unitTestFiles(root),
    testTimeout: 30_000,
    // Worker threads start faster than forks; nothing in this tier measures its own process.
    pool: 'threads',
    // One module graph per worker, not per file: the tier's files share no mutable state (no
    // vi.mock, no stubbed globals), and re-importing per file was over half the tier's time.
    isolate: false,
  },
});
