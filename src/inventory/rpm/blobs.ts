// What every rpm database reader returns: the header blobs it found and the problems it met.
// Readers never throw: a broken page or slot is a problem, and the rest of the db is still read.

export interface DbBlob {
  blob: Buffer;
  /** Where in the db the blob was found (`page 12`, `slot 3`, `hnum 7`), for warnings. */
  where: string;
}

export interface DbReadResult {
  blobs: DbBlob[];
  problems: string[];
}

/** Upper bound on one header blob: rpm's own limit on a header is far below it. */
export const MAX_BLOB_SIZE = 64 * 1024 * 1024;
