// Reads an image config blob (OCI / Docker image config JSON) into ImageConfig + diff_ids.
import { ImageError } from '../errors.js';
import type { HistoryStep, ImageConfig } from '../model/image.js';
import { checkDigest } from './digest.js';
import { parseJsonOr } from '../util/json-error.js';

export interface ParsedConfig {
  config: ImageConfig;
  diffIds: string[];
  /** createdBy of each filesystem layer, by layer index (undefined where unknown). */
  layerCreatedBy: (string | undefined)[];
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

export function parseJson(data: Buffer, what: string, subject: string): Json {
  // Position and problem only: the parser's own message quotes the text.
  const value = parseJsonOr(data.toString('utf8'), (at, problem) => new ImageError(`${what} is not valid JSON (at ${at}: ${problem})`, { subject }));
  if (!isObject(value)) throw new ImageError(`${what} is not a JSON object`, { subject });
  return value;
}

export function parseImageConfig(json: Json, what: string, subject: string): ParsedConfig {
  const rootfs = json.rootfs;
  if (!isObject(rootfs) || !Array.isArray(rootfs.diff_ids)) {
    throw new ImageError(`${what} has no rootfs.diff_ids`, { subject });
  }
  const diffIds = rootfs.diff_ids.map((d, i) => checkDigest(d, subject, `${what} rootfs.diff_ids[${i}]`));
  const c = isObject(json.config) ? json.config : {};
  const labels: Record<string, string> = {};
  if (isObject(c.Labels)) for (const [k, v] of Object.entries(c.Labels)) if (typeof v === 'string') labels[k] = v;

  const rawHistory = Array.isArray(json.history) ? json.history.filter(isObject) : [];
  const nonEmpty = rawHistory.filter((h) => h.empty_layer !== true).length;
  // Steps map to layers in order, skipping empty steps. When the counts disagree (squashed or
  // hand-edited images) no step is attributed: a wrong createdBy is worse than none.
  const mapLayers = nonEmpty === diffIds.length;
  const layerCreatedBy: (string | undefined)[] = diffIds.map(() => undefined);
  let layerIndex = 0;
  const history: HistoryStep[] = rawHistory.map((h) => {
    const emptyLayer = h.empty_layer === true;
    const step: HistoryStep = { emptyLayer };
    if (str(h.created)) step.created = str(h.created);
    if (str(h.created_by)) step.createdBy = str(h.created_by);
    if (str(h.comment)) step.comment = str(h.comment);
    if (!emptyLayer && mapLayers) {
      step.layerIndex = layerIndex;
      layerCreatedBy[layerIndex] = step.createdBy;
      layerIndex++;
    }
    return step;
  });

  const config: ImageConfig = {
    os: str(json.os) ?? '',
    architecture: str(json.architecture) ?? '',
    env: strings(c.Env) ?? [],
    labels,
    history,
  };
  if (str(json.variant)) config.variant = str(json.variant);
  if (str(c.User)) config.user = str(c.User);
  const entrypoint = strings(c.Entrypoint);
  if (entrypoint) config.entrypoint = entrypoint;
  const cmd = strings(c.Cmd);
  if (cmd) config.cmd = cmd;
  if (str(c.WorkingDir)) config.workingDir = str(c.WorkingDir);
  if (isObject(c.ExposedPorts)) config.exposedPorts = Object.keys(c.ExposedPorts).sort();
  if (str(json.created)) config.created = str(json.created);
  return { config, diffIds, layerCreatedBy };
}
