// Size caps for gate inputs, declared once: the file read and the YAML parser both enforce them.

/**
 * A policy (or policy test) file. Policies are written by hand: 1 MiB holds ~10,000 rules or
 * exceptions. A file at this limit filled with keys (~80,000) is what bounds the parse: 4 MiB of
 * keys took ~330 MB to parse and locate (over the 300 MB hostile input may take); 1 MiB stays well under.
 */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;
