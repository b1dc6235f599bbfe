// Escapes for untrusted text (package names, paths, summaries all come from the scanned image).

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Control characters shown as visible `\xNN` / `\uNNNN` text, so they cannot drive a terminal. */
export function visibleControls(s: string): string {
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** One line of plain text: controls made visible (tabs and newlines too). */
export function oneLine(s: string): string {
  return visibleControls(s);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Code points, not UTF-16 units, so surrogate pairs count once (wide CJK still counts once). */
export function textWidth(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

/** Cut to `width` code points with an ellipsis when longer. */
export function truncate(s: string, width: number): string {
  if (textWidth(s) <= width) return s;
  if (width <= 1) return [...s].slice(0, width).join('');
  return `${[...s].slice(0, width - 1).join('')}…`;
}
