// Tags MLflow's own clients attach to every run; the UI reads the run name, parent, user and
// source from these, not from run info.
import os from 'node:os';
import type { CreateRunOptions } from './tracker.ts';

export const TAG_RUN_NAME = 'mlflow.runName';
export const TAG_PARENT_RUN_ID = 'mlflow.parentRunId';
export const TAG_USER = 'mlflow.user';
export const TAG_SOURCE_NAME = 'mlflow.source.name';
export const TAG_SOURCE_TYPE = 'mlflow.source.type';

/** Login name for `user_id` / `mlflow.user` (MLflow uses getpass.getuser()). */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? ''; // no passwd entry (some containers)
  }
}

/** Tags for a new run: client defaults, then the caller's tags, then run name and parent (which must agree). */
export function runTags(opts: CreateRunOptions, user: string = currentUser()): Record<string, string> {
  const tags: Record<string, string> = {};
  if (user) tags[TAG_USER] = user;
  const script = process.argv[1];
  if (script) {
    tags[TAG_SOURCE_NAME] = script;
    tags[TAG_SOURCE_TYPE] = 'LOCAL';
  }
  Object.assign(tags, opts.tags);
  pin(tags, TAG_RUN_NAME, opts.runName, 'runName');
  if (opts.parentRunId !== undefined) pin(tags, TAG_PARENT_RUN_ID, opts.parentRunId, 'parentRunId');
  return tags;
}

function pin(tags: Record<string, string>, key: string, value: string, option: string): void {
  const given = tags[key];
  if (given !== undefined && given !== value) {
    throw new Error(
      `createRun: tag '${key}'='${given}' conflicts with ${option} '${value}'; pass the value once, as ${option}`,
    );
  }
  tags[key] = value;
}
