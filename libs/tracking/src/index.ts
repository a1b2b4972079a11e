export type { CreateRunOptions, ParamValue, RunHandle, RunStatus, Tracker } from './tracker.ts';
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
  validateKey,
  validateMetric,
  validateParam,
  validateTag,
  type KeyKind,
} from './validate.ts';
export { TAG_PARENT_RUN_ID, TAG_RUN_NAME, TAG_SOURCE_NAME, TAG_SOURCE_TYPE, TAG_USER, currentUser, runTags } from './system-tags.ts';
export { parsePythonFloat, pythonFloatRepr } from './python-float.ts';
export { newExperimentId, newRunId } from './ids.ts';
export { STATUS_CODE, fileUri, localArtifactPath } from './meta-yaml.ts';
