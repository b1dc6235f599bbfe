// Secrets (passwords, tokens, basic-auth blobs) are collected here as they are learned, and every
// message the registry client produces goes through `redact` before it reaches an error.

const MIN_SECRET = 3;

export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET) return;
    this.secrets.add(secret);
    // The forms a secret travels in: base64 (Basic header) and URL encoding.
    this.secrets.add(encodeURIComponent(secret));
  }

  /** Registers `user:pass` as Basic auth sends it, and the password alone. */
  addBasic(username: string, password: string): void {
    this.add(password);
    this.add(Buffer.from(`${username}:${password}`).toString('base64'));
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is replaced whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    // Belt and braces: whatever follows an auth scheme is never shown.
    return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 ***');
  }
}
