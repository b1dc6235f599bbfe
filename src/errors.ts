/**
 * An error the user can act on (bad input, unreadable image, missing DB…). The CLI prints its
 * message as one line and exits 2; anything else is an internal error (also exit 2).
 */
export class PortcullisError extends Error {
  /** The file, image, URL… the message is about, when there is one. */
  readonly subject?: string;

  constructor(message: string, options: { subject?: string; cause?: unknown } = {}) {
    super(options.subject ? `${options.subject}: ${message}` : message, { cause: options.cause });
    this.name = 'PortcullisError';
    this.subject = options.subject;
  }
}

/** The image itself is unreadable or untrustworthy (corrupt archive, digest mismatch, escape). */
export class ImageError extends PortcullisError {
  constructor(message: string, options: { subject?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'ImageError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
