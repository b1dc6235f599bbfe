// Update progress for humans: a redrawn bar on a TTY, one line per finished source otherwise.
import type { Writable } from 'node:stream';
import type { UpdateEvent } from './update.js';

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function progressReporter(out: Writable, tty: boolean, quiet: boolean): (e: UpdateEvent) => void {
  let lastDraw = 0;
  return (e) => {
    if (quiet) return;
    if (e.type === 'bytes') {
      if (!tty) return;
      const t = Date.now();
      if (t - lastDraw < 100) return;
      lastDraw = t;
      const width = 30;
      const frac = e.total ? Math.min(1, e.received / e.total) : 0;
      const bar = e.total ? '#'.repeat(Math.round(frac * width)).padEnd(width, '.') : '?'.repeat(width);
      out.write(`\r${e.source} [${bar}] ${mib(e.received)}${e.total ? ` / ${mib(e.total)}` : ''}\x1b[K`);
    } else if (e.type === 'retry' || e.type === 'fallback') {
      out.write(`${tty ? '\r\x1b[K' : ''}${e.source}: ${e.message}${e.type === 'fallback' ? `; trying ${e.url}` : ''}\n`);
    } else if (e.type === 'done') {
      const what = e.status === 'unchanged' ? 'unchanged' : `updated, ${mib(e.bytes)}`;
      out.write(`${tty ? '\r\x1b[K' : ''}${e.source}: ${what}, ${e.records} records${e.url ? ` (${e.url})` : ''}\n`);
    }
  };
}
