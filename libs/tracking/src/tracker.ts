// Backend-neutral tracking API. The local file store implements it now; a REST backend (MLflow
// server) implements the same calls later, so everything is async and speaks MLflow's vocabulary.

export type RunStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export type ParamValue = string | number | boolean;

export interface CreateRunOptions {
  /** Shown in the MLflow UI; also written as the `mlflow.runName` tag. */
  runName: string;
  tags?: Record<string, string>;
  /** Makes this a nested (child) run: written as the `mlflow.parentRunId` tag. */
  parentRunId?: string;
  /** Epoch milliseconds; defaults to now. */
  startTime?: number;
}

export interface Tracker {
  /** Id of the active experiment with this name, creating it when there is none. */
  getOrCreateExperiment(name: string): Promise<string>;
  createRun(experimentId: string, opts: CreateRunOptions): Promise<RunHandle>;
}

export interface RunHandle {
  readonly runId: string;
  readonly experimentId: string;
  /** Local folder holding this run's artifacts, when the backend has one. */
  readonly artifactDir?: string;
  /** Params are write-once: the same value again is fine, a different value throws. */
  logParams(params: Record<string, ParamValue>): Promise<void>;
  /** step defaults to 0, timestamp (epoch ms) to now. NaN and +-Infinity are allowed. */
  logMetric(key: string, value: number, step?: number, timestamp?: number): Promise<void>;
  /** All points share one timestamp (now). */
  logMetrics(metrics: Record<string, number>, step?: number): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Copies a file to `<artifactPath>/<name>` or a folder to `<artifactPath>/<folder name>/...`. */
  logArtifact(localPath: string, artifactPath?: string): Promise<void>;
  /** Marks the run ended (default FINISHED) with end_time now. */
  end(status?: RunStatus): Promise<void>;
}
