// Glue shared by `sbom` and `scan`: an opened Image plus its inventory → the native Report.
import type { Image } from '../model/image.js';
import { REPORT_SCHEMA_VERSION, type Report, type ReportLayer } from '../model/report.js';
import { TOOL_VERSION } from '../version-info.js';
import type { Inventory } from './inventory.js';
import { layerRefOf } from './layer-keys.js';

export function buildInventoryReport(image: Image, inventory: Inventory, now: Date = new Date()): Report {
  const layers: ReportLayer[] = image.layers.map((l) => ({ ...layerRefOf(l), size: l.size, mediaType: l.mediaType }));
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'portcullis', version: TOOL_VERSION },
    createdAt: now.toISOString(),
    image: image.metadata,
    layers,
    packages: inventory.packages,
    warnings: inventory.warnings,
  };
  if (inventory.os) report.os = inventory.os;
  return report;
}
