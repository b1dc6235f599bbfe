// Size caps for gate inputs, declared once: the file read and the YAML parser both enforce them.

/** A policy (or ignore) file: far above any real policy, small enough to parse without risk. */
export const MAX_POLICY_FILE_BYTES = 4 * 1024 * 1024;
