// A bare image name (`app:1.2`, `registry.example.com/team/app:1.2`): tried in each `--image-src`
// store in order, the registry last by default, as Trivy does. A store that is not there (no
// socket, no storage) or does not hold the name is a miss and the next is tried; any other failure
// (permission denied, a corrupt store, a digest mismatch) stops the scan: it never falls through
// to a different copy of the image. stderr names the store that answered.
import { PortcullisError, errorMessage } from '../../errors.js';
import type { Image, ImageSource } from '../../model/image.js';
import { NotInStore, StoreUnreachable } from './store-errors.js';
import type { ImageSourceName } from './index.js';

export interface Candidate {
  name: ImageSourceName;
  source: () => ImageSource;
}

/** A store that did not answer for the name: its absence is not an error while others remain. */
function isMiss(err: unknown): boolean {
  return err instanceof NotInStore || (err instanceof StoreUnreachable && !/permission denied/.test(err.message));
}

export class LookupSource implements ImageSource {
  readonly description: string;

  constructor(
    private readonly name: string,
    private readonly candidates: Candidate[],
    private readonly onNotice: ((message: string) => void) | undefined,
  ) {
    this.description = `${name} (from ${candidates.map((c) => c.name).join(', ')})`;
  }

  async open(): Promise<Image> {
    const misses: string[] = [];
    for (const c of this.candidates) {
      const last = c === this.candidates[this.candidates.length - 1];
      try {
        const image = await c.source().open();
        this.onNotice?.(`${this.name}: read from ${c.name}${misses.length ? ` (not in ${misses.map((m) => m.slice(0, m.indexOf(':'))).join(', ')})` : ''}`);
        return image;
      } catch (err) {
        if (c.name === 'registry' && last) {
          // The registry's own error (unchanged) is the answer; stderr names the stores tried first.
          if (misses.length) this.onNotice?.(`${this.name}: not in ${misses.join('; ')}`);
          throw err;
        }
        if (c.name !== 'registry' && !isMiss(err)) throw err;
        misses.push(`${c.name}: ${withoutSubject(err)}`);
      }
    }
    throw new PortcullisError(`image not found in any source tried (${misses.join('; ')})`, { subject: this.name });
  }
}

function withoutSubject(err: unknown): string {
  const message = errorMessage(err);
  const subject = err instanceof PortcullisError ? err.subject : undefined;
  return subject && message.startsWith(`${subject}: `) ? message.slice(subject.length + 2) : message;
}
