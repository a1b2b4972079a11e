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

/** One MLflow dataset input (REST runs/log-inputs; `inputs/` and `datasets/` in the file store). */
export interface DatasetInput {
  dataset: {
    name: string;
    digest: string;
    /** e.g. 'local', 'http', 's3' */
    source_type: string;
    /** JSON text, by MLflow's convention `{"uri": ...}` */
    source: string;
    schema?: string;
    profile?: string;
  };
  /** `mlflow.data.context` ('train', 'eval') is the tag MLflow's UI shows */
  tags: { key: string; value: string }[];
}

/** A run found again by a tag (a grid's parent run resumed by the next `run`). */
export interface ResumedRun {
  run: RunHandle;
  /** params it already holds: params are write-once */
  params: Record<string, string>;
}

export interface Tracker {
  /** Id of the active experiment with this name, creating it when there is none. */
  getOrCreateExperiment(name: string): Promise<string>;
  createRun(experimentId: string, opts: CreateRunOptions): Promise<RunHandle>;
  /**
   * The latest active run of the experiment whose tag `key` is `value`, set RUNNING again (end() ends it anew);
   * undefined when there is none, or when the backend cannot be asked now (a server that does not answer).
   */
  resumeRun(experimentId: string, key: string, value: string): Promise<ResumedRun | undefined>;
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
  /** Records datasets the run read, as MLflow's dataset inputs. */
  logInputs(datasets: DatasetInput[]): Promise<void>;
  /** Marks the run ended (default FINISHED) with end_time now. */
  end(status?: RunStatus): Promise<void>;
}
