// Wire shapes of MLflow's REST API 2.0 as a 2.10 server sends and accepts them
// (see ../shared/docs/mlflow-rest-transcript.md). Ids are strings, times epoch milliseconds.

export type WireStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface KeyValue {
  key: string;
  value: string;
}

/** NaN and +-Infinity travel as strings: JSON has no literal for them. */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface WireMetric {
  key: string;
  value: WireNumber;
  timestamp: number;
  step: number;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: KeyValue[];
}

export interface RunInfo {
  run_id: string;
  run_uuid?: string;
  experiment_id: string;
  run_name?: string;
  user_id?: string;
  status: WireStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface RunData {
  metrics?: WireMetric[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
}

/** One runs/log-batch payload (without run_id). */
export interface Batch {
  metrics: WireMetric[];
  params: KeyValue[];
  tags: KeyValue[];
}

export function toWireNumber(x: number): WireNumber {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

export function fromWireNumber(x: WireNumber | string): number {
  return typeof x === 'number' ? x : Number(x); // Number('NaN') is NaN, Number('Infinity') is Infinity
}
