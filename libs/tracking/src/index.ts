export type {
  CreateRunOptions,
  DatasetInput,
  ParamValue,
  ResumedRun,
  RunHandle,
  RunStatus,
  Tracker,
} from './tracker.ts';
export { FileStore } from './file-store.ts';
export { FileRun } from './file-run.ts';
export {
  findExperimentByName,
  listExperiments,
  listRuns,
  readMetricFile,
  readRun,
  type MetricPoint,
  type StoredExperiment,
  type StoredRun,
} from './read-store.ts';
export { flattenParams } from './flatten.ts';
export {
  MAX_KEY_LENGTH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  paramString,
  validateArtifactPath,
  validateDatasets,
  validateKey,
  validateMetric,
  validateParam,
  validateTag,
  type KeyKind,
} from './validate.ts';
export {
  TAG_PARENT_RUN_ID,
  TAG_RUN_NAME,
  TAG_SOURCE_NAME,
  TAG_SOURCE_TYPE,
  TAG_USER,
  currentUser,
  runTags,
} from './system-tags.ts';
export { parsePythonFloat, pythonFloatRepr } from './python-float.ts';
export { newExperimentId, newRunId } from './ids.ts';
export { STATUS_CODE, fileUri, localArtifactPath } from './meta-yaml.ts';
export { openTracker, type OpenTrackerOptions } from './open-tracker.ts';
export { RestStore, PENDING_EXPERIMENT_PREFIX, type RestStoreOptions } from './rest-store.ts';
export { RestRun } from './rest-run.ts';
export {
  syncPending,
  syncJournalDir,
  syncedIds,
  findPendingDirs,
  journalDirs,
  type SyncOptions,
  type SyncReport,
} from './sync.ts';
export { markStaleRuns, type MarkStaleOptions, type StaleRun } from './stale-runs.ts';
export {
  MlflowClient,
  artifactProxyPath,
  artifactUploadProblem,
  isArtifactRefusal,
  type ClientOptions,
  type CreateRunRequest,
  type SearchRunsRequest,
} from './rest-client.ts';
export { MlflowApiError, MlflowUnreachableError, isUnreachable } from './rest-errors.ts';
export {
  splitBatch,
  BATCH_LIMITS,
  MAX_BATCH_METRICS,
  MAX_BATCH_PARAMS,
  MAX_BATCH_TAGS,
  MAX_BATCH_ENTITIES,
} from './rest-batch.ts';
export type { Batch, Experiment, KeyValue, Run, RunData, RunInfo, WireMetric, WireStatus } from './rest-types.ts';
export { PENDING_DIR, TAG_CLIENT_RUN_ID, pendingDir, workerId } from './journal.ts';
export { localArtifactTag } from './replay.ts';
