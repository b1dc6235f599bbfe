// Parses Debian control-file syntax (deb822, as in /var/lib/dpkg/status): stanzas separated by blank
// lines, `Field: value` lines, continuation lines starting with a space or tab. A line that is
// neither makes its stanza malformed; the other stanzas are still returned.

export interface Stanza {
  /** Field names as written; look them up with field(). */
  fields: Map<string, string>;
  /** 1-based line of the stanza's first line, for warnings. */
  line: number;
}

export interface Deb822Result {
  stanzas: Stanza[];
  malformed: { line: number; reason: string }[];
}

export function parseDeb822(text: string): Deb822Result {
  const stanzas: Stanza[] = [];
  const malformed: { line: number; reason: string }[] = [];
  let cur: Map<string, string> | undefined;
  let start = 0;
  let bad: string | undefined;
  let last: string | undefined;
  const flush = () => {
    if (cur && cur.size > 0) {
      if (bad) malformed.push({ line: start, reason: bad });
      else stanzas.push({ fields: cur, line: start });
    } else if (bad) malformed.push({ line: start, reason: bad });
    cur = undefined;
    bad = undefined;
    last = undefined;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (!cur) {
      cur = new Map();
      start = i + 1;
    }
    if (line.startsWith('#')) continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (last === undefined) bad ??= `line ${i + 1}: continuation line before any field`;
      else cur.set(last, `${cur.get(last)}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      bad ??= `line ${i + 1}: not a "Field: value" line`;
      continue;
    }
    last = line.slice(0, colon).toLowerCase();
    cur.set(last, line.slice(colon + 1).trim());
  }
  flush();
  return { stanzas, malformed };
}

/** Case-insensitive field lookup (deb822 field names are case-insensitive). */
export function field(s: Stanza, name: string): string | undefined {
  return s.fields.get(name.toLowerCase());
}
