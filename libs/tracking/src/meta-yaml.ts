// meta.yaml files of MLflow's file store. MLflow reads them with PyYAML (YAML 1.1), so we write
// 1.1-safe YAML: a run named `yes` or `1:20` gets quoted instead of turning into a bool or int.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { writeFileAtomic } from './atomic-write.ts';

export const META_FILE = 'meta.yaml';
export const TRASH_DIR = '.trash';
export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

/** meta.yaml stores the run status as MLflow's RunStatus enum number. */
export const STATUS_CODE = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;
/** entities.SourceType.LOCAL: MLflow writes it for every run. */
const SOURCE_TYPE_LOCAL = 4;

export interface ExperimentMetaInput {
  experimentId: string;
  name: string;
  artifactLocation: string;
  time: number;
}

export function experimentMeta(e: ExperimentMetaInput): Record<string, unknown> {
  return {
    artifact_location: e.artifactLocation,
    creation_time: e.time,
    experiment_id: e.experimentId,
    last_update_time: e.time,
    lifecycle_stage: 'active',
    name: e.name,
  };
}

export interface RunMetaInput {
  runId: string;
  experimentId: string;
  runName: string;
  artifactUri: string;
  startTime: number;
  userId: string;
}

/** The fields MLflow 2.x's FileStore writes for a new run (status RUNNING, no end time). */
export function runMeta(r: RunMetaInput): Record<string, unknown> {
  return {
    artifact_uri: r.artifactUri,
    deleted_time: null,
    end_time: null,
    entry_point_name: '',
    experiment_id: r.experimentId,
    lifecycle_stage: 'active',
    run_id: r.runId,
    run_name: r.runName,
    run_uuid: r.runId, // legacy field, always equal to run_id
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: r.startTime,
    status: STATUS_CODE.RUNNING,
    tags: [], // tags moved to tags/, MLflow still writes the empty list for old readers
    user_id: r.userId,
  };
}

/** Sorted keys and single quotes, like PyYAML's safe_dump output. */
export function metaYamlText(meta: Record<string, unknown>): string {
  return YAML.stringify(meta, { version: '1.1', sortMapEntries: true, singleQuote: true });
}

export async function writeMetaYaml(dir: string, meta: Record<string, unknown>): Promise<void> {
  await writeFileAtomic(path.join(dir, META_FILE), metaYamlText(meta));
}

export function readMetaYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  let meta: unknown;
  try {
    meta = YAML.parse(text, { version: '1.1' });
  } catch (err) {
    throw new Error(
      `${file} is not valid YAML (${(err as Error).message}); restore it or remove the folder from the store`,
    );
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new Error(
      `${file} must hold a YAML mapping of MLflow metadata fields, found ` +
        `${Array.isArray(meta) ? 'a list' : String(meta)}`,
    );
  }
  return meta as Record<string, unknown>;
}

/** `file:///abs/path` as MLflow writes local artifact locations (percent-encoded, like pathlib's as_uri). */
export function fileUri(absPath: string): string {
  return pathToFileURL(absPath).href;
}

/** Local folder of an artifact URI: `file:` URIs and plain paths; undefined for remote schemes. */
export function localArtifactPath(uri: string): string | undefined {
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri)) return undefined; // s3:, mlflow-artifacts:, ...
  return path.resolve(uri); // older MLflow wrote bare paths, relative to the working directory
}
