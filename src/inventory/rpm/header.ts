// Decodes an rpm header blob as the rpm databases store it: no lead, no magic, just
// `il` (int32 BE index entry count), `dl` (int32 BE data length), il 16-byte index entries
// {tag, type, offset, count} (all BE) and the dl-byte data store. Everything is bounds-checked:
// a blob from an image is hostile input.

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
  LONGSIZE: 5009,
  MODULARITYLABEL: 5096,
} as const;

const TYPE_INT32 = 4;
const TYPE_INT64 = 5;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;

/** rpm itself refuses headers with more entries / data than this (hdrchk limits). */
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_LENGTH = 256 * 1024 * 1024;
const ENTRY_SIZE = 16;

/** The few tags a cataloger needs, decoded. */
export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  license?: string;
  vendor?: string;
  summary?: string;
  size?: number;
  modularityLabel?: string;
}

/** A header blob that cannot be decoded; the message says why. */
export class RpmHeaderError extends Error {
  override readonly name = 'RpmHeaderError';
}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

const WANTED: ReadonlySet<number> = new Set(Object.values(RPMTAG));

/** Decodes `blob`; throws RpmHeaderError (only) when it is malformed or lacks name/version/release. */
export function decodeHeader(blob: Buffer): RpmHeader {
  if (blob.length < 8) throw new RpmHeaderError(`header blob of ${blob.length} bytes is too short`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il < 1 || il > MAX_INDEX_ENTRIES) throw new RpmHeaderError(`header index count ${il} out of range`);
  if (dl > MAX_DATA_LENGTH) throw new RpmHeaderError(`header data length ${dl} out of range`);
  const dataStart = 8 + il * ENTRY_SIZE;
  if (dataStart + dl > blob.length) {
    throw new RpmHeaderError(`header claims ${il} entries and ${dl} data bytes but the blob has ${blob.length} bytes`);
  }
  const data = blob.subarray(dataStart, dataStart + dl);

  // Later entries win: rpm appends "dribble" entries after the immutable region and they replace
  // region entries of the same tag.
  const entries = new Map<number, Entry>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = blob.readUInt32BE(at);
    if (!WANTED.has(tag)) continue;
    entries.set(tag, { type: blob.readUInt32BE(at + 4), offset: blob.readUInt32BE(at + 8), count: blob.readUInt32BE(at + 12) });
  }

  const str = (tag: number): string | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE_STRING && e.type !== TYPE_I18NSTRING && e.type !== TYPE_STRING_ARRAY) {
      throw new RpmHeaderError(`tag ${tag} has type ${e.type}, expected a string`);
    }
    if (e.offset >= data.length) throw new RpmHeaderError(`tag ${tag} offset ${e.offset} is past the data store (${data.length})`);
    const end = data.indexOf(0, e.offset);
    if (end < 0) throw new RpmHeaderError(`tag ${tag} string is not NUL-terminated`);
    return data.toString('utf8', e.offset, end);
  };
  const int = (tag: number): number | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.count < 1) throw new RpmHeaderError(`tag ${tag} has no value`);
    if (e.type === TYPE_INT32) {
      if (e.offset + 4 > data.length) throw new RpmHeaderError(`tag ${tag} offset ${e.offset} is past the data store`);
      return data.readUInt32BE(e.offset);
    }
    if (e.type === TYPE_INT64) {
      if (e.offset + 8 > data.length) throw new RpmHeaderError(`tag ${tag} offset ${e.offset} is past the data store`);
      return Number(data.readBigUInt64BE(e.offset));
    }
    throw new RpmHeaderError(`tag ${tag} has type ${e.type}, expected an integer`);
  };

  const name = str(RPMTAG.NAME);
  const version = str(RPMTAG.VERSION);
  const release = str(RPMTAG.RELEASE);
  if (!name) throw new RpmHeaderError('header has no NAME');
  if (version === undefined || release === undefined) throw new RpmHeaderError(`header of ${name} has no VERSION/RELEASE`);

  const h: RpmHeader = { name, version, release };
  const epoch = int(RPMTAG.EPOCH);
  if (epoch !== undefined) h.epoch = epoch;
  const opt = (tag: number): string | undefined => {
    const v = str(tag);
    return v === undefined || v === '' || v === '(none)' ? undefined : v;
  };
  const arch = opt(RPMTAG.ARCH);
  if (arch !== undefined) h.arch = arch;
  const sourceRpm = opt(RPMTAG.SOURCERPM);
  if (sourceRpm !== undefined) h.sourceRpm = sourceRpm;
  const license = opt(RPMTAG.LICENSE);
  if (license !== undefined) h.license = license;
  const vendor = opt(RPMTAG.VENDOR);
  if (vendor !== undefined) h.vendor = vendor;
  const summary = opt(RPMTAG.SUMMARY);
  if (summary !== undefined) h.summary = summary;
  const modularityLabel = opt(RPMTAG.MODULARITYLABEL);
  if (modularityLabel !== undefined) h.modularityLabel = modularityLabel;
  const size = int(RPMTAG.LONGSIZE) ?? int(RPMTAG.SIZE);
  if (size !== undefined) h.size = size;
  return h;
}
