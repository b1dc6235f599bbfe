// What an ENV entry that carries a secret looks like. Names: the usual words for credentials.
// Values: formats with a recognisable shape (cloud keys, tokens, PEM private keys).

const SECRET_NAME = /(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY|CREDENTIALS?|AUTH)($|_)/i;
/** Names that contain those words yet hold no secret. */
const NOT_SECRET_NAME = /(^|_)(PATH|FILE|DIR|URL|HOST|PORT|USER|USERNAME|ID)$/i;

const SECRET_VALUES: RegExp[] = [
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, // AWS access key id
  /-----BEGIN (RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY( BLOCK)?-----/,
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{22,}\b/,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/, // GitLab personal access token
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/, // Slack
  /\bAIza[0-9A-Za-z_-]{35}\b/, // Google API key
  /\bsk_live_[0-9A-Za-z]{24,}\b/, // Stripe secret key
  /\bnpm_[A-Za-z0-9]{36}\b/, // npm token
  /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/, // JWT
];

const MAX_SCAN = 64 * 1024;

export function looksLikeSecretName(name: unknown): boolean {
  if (typeof name !== 'string' || name.length > 256) return false;
  return SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name);
}

export function looksLikeSecretValue(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0) return false;
  const text = value.length > MAX_SCAN ? value.slice(0, MAX_SCAN) : value;
  return SECRET_VALUES.some((re) => re.test(text));
}
