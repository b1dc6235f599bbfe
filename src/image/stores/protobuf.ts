// Just enough protocol-buffers wire format for containerd's few messages: strings, int64 and
// nested messages (length-delimited, wire type 2; varints, wire type 0). Unknown fields are skipped.

function varint(value: number): number[] {
  const out: number[] = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

export class ProtoWriter {
  private readonly parts: Buffer[] = [];
  string(field: number, value: string | undefined): this {
    if (value !== undefined && value !== '') this.bytes(field, Buffer.from(value, 'utf8'));
    return this;
  }
  bytes(field: number, value: Buffer): this {
    this.parts.push(Buffer.from([...varint((field << 3) | 2), ...varint(value.length)]), value);
    return this;
  }
  int64(field: number, value: number | undefined): this {
    if (value !== undefined && value !== 0) this.parts.push(Buffer.from([...varint(field << 3), ...varint(value)]));
    return this;
  }
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export type ProtoValue = number | Buffer;

/** Every field of a message, in order: field number -> values (repeated fields keep all). */
export function readMessage(buf: Buffer): Map<number, ProtoValue[]> {
  const fields = new Map<number, ProtoValue[]>();
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated protobuf varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('protobuf varint too long');
    }
  };
  while (pos < buf.length) {
    const key = Number(readVarint());
    const field = key >>> 3;
    const wire = key & 7;
    let value: ProtoValue;
    if (wire === 0) value = Number(readVarint());
    else if (wire === 2) {
      const len = Number(readVarint());
      if (pos + len > buf.length) throw new Error('truncated protobuf field');
      value = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 1) {
      pos += 8;
      continue;
    } else if (wire === 5) {
      pos += 4;
      continue;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    const list = fields.get(field);
    if (list) list.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

export function str(fields: Map<number, ProtoValue[]>, n: number): string | undefined {
  const v = fields.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

export function num(fields: Map<number, ProtoValue[]>, n: number): number | undefined {
  const v = fields.get(n)?.[0];
  return typeof v === 'number' ? v : undefined;
}

export function sub(fields: Map<number, ProtoValue[]>, n: number): Map<number, ProtoValue[]> | undefined {
  const v = fields.get(n)?.[0];
  return Buffer.isBuffer(v) ? readMessage(v) : undefined;
}

/** A `map<string,string>` field: repeated entries of {1: key, 2: value}. */
export function stringMap(fields: Map<number, ProtoValue[]>, n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of fields.get(n) ?? []) {
    if (!Buffer.isBuffer(v)) continue;
    const e = readMessage(v);
    const k = str(e, 1);
    if (k !== undefined) out[k] = str(e, 2) ?? '';
  }
  return out;
}
