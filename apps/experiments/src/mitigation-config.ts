// The `mitigation` keys of phase 1 (one) and phase 2 (a list: each phase-2 run once per entry), checked when the
// config is read so that a typo stops the run before anything trains, with the key's file:line.
import { kindOfTask } from '@prunelab/datasets';
import { mitigationMethod, parseMitigation, type MitigationSpec } from '@prunelab/finetune';
import type { ExperimentConfig, MitigationSetting, TaskName } from './schema.ts';

/** A job's mitigation: the spec (options filled: what enters the key) and its label (folder names, reports). */
export interface JobMitigation {
  label: string;
  spec: MitigationSpec;
}

export const NO_MITIGATION: JobMitigation = { label: 'none', spec: { method: 'none', options: {} } };

/** One entry: a name, or {method, label?, ...options}. */
export function parseEntry(x: MitigationSetting, where: string): JobMitigation {
  const label = typeof x === 'object' && typeof x.label === 'string' ? x.label : undefined;
  const given = typeof x === 'object' ? Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'label')) : x;
  const spec = parseMitigation(given, where);
  const l = label ?? spec.method;
  if (!/^[a-z0-9_.-]+$/i.test(l))
    throw new Error(`${where}: label '${l}' must be letters, digits, '_', '-' or '.' (it names job folders)`);
  if (l === 'none' && spec.method !== 'none') throw new Error(`${where}: the label 'none' belongs to method none`);
  return { label: l, spec };
}

/** The entries of a phase-2 list, labels unique. */
export function parseList(xs: MitigationSetting[], where: (i: number) => string): JobMitigation[] {
  const out = xs.map((x, i) => parseEntry(x, where(i)));
  out.forEach((m, i) => {
    const j = out.findIndex((o) => o.label === m.label);
    if (j !== i)
      throw new Error(
        `${where(i)}: two entries are labelled '${m.label}'; give one a label (e.g. {method: ${m.spec.method}, ` +
          `label: ${m.spec.method}-2, ...})`,
      );
    // the same method and options under another label: the same key (two none entries: the same job folder)
    const same = out.findIndex((o) => JSON.stringify(o.spec) === JSON.stringify(m.spec));
    if (same !== i)
      throw new Error(
        `${where(i)}: the same mitigation as entry ${same} ('${out[same]!.label}': ${m.spec.method} with the same ` +
          'options), whose runs these would repeat; remove one or change an option',
      );
  });
  return out;
}

type Where = (path: string[]) => string;

/** "file:line: the.key.path", how every mitigation error starts. */
export const keyAt = (where: Where, path: string[]): string => `${where(path)}: ${path.join('.')}`;

/** Every mitigation key of the config (top level, al, per model, per task) with the tasks each applies to; errors
 * are plain (config.ts makes them ConfigErrors). */
export function checkMitigations(cfg: ExperimentConfig, where: Where): void {
  type Sections = {
    phase1?: { mitigation?: unknown };
    phase2?: { mitigation?: unknown };
    al?: { mitigation?: unknown };
  };
  type Section = 'phase1' | 'phase2' | 'al';
  const set = (x: Sections | undefined, sec: Section) => x?.[sec]?.mitigation !== undefined;
  const models = Object.values(cfg.models) as Sections[];
  const perTask = (t: TaskName) => cfg.per_task[t] as Sections | undefined;
  // the tasks whose runs a scope's setting reaches (cellSettings: per task over per model over the top level), so
  // that a voting method overridden for a regression task is not refused for it
  const scopes: { path: string[]; sections: Sections | undefined; tasks: (sec: Section) => TaskName[] }[] = [
    {
      path: [],
      sections: cfg as Sections,
      tasks: (sec) => cfg.tasks.filter((t) => !set(perTask(t), sec) && models.some((m) => !set(m, sec))),
    },
    ...Object.entries(cfg.models).map(([m, c]) => ({
      path: ['models', m],
      sections: c as Sections,
      tasks: (sec: Section) => cfg.tasks.filter((t) => !set(perTask(t), sec)),
    })),
    ...Object.entries(cfg.per_task).map(([t, o]) => ({
      path: ['per_task', t],
      sections: o as Sections,
      tasks: () => [t as TaskName],
    })),
  ];
  for (const s of scopes) {
    const entries: { m: JobMitigation; at: string; sec: Section }[] = [];
    for (const one of ['phase1', 'al'] as const) {
      const v = s.sections?.[one]?.mitigation;
      if (v === undefined || (one === 'phase1' && cfg.al)) continue;
      const at = keyAt(where, [...s.path, one, 'mitigation']);
      entries.push({ m: parseEntry(v as MitigationSetting, at), at, sec: one });
    }
    const list = cfg.al ? undefined : s.sections?.phase2?.mitigation;
    if (list !== undefined) {
      const at = (i: number) => keyAt(where, [...s.path, 'phase2', 'mitigation', String(i)]);
      entries.push(
        ...parseList(list as MitigationSetting[], at).map((m, i) => ({ m, at: at(i), sec: 'phase2' as const })),
      );
    }
    for (const { m, at, sec } of entries) {
      if (!mitigationMethod(m.spec.method).votes) continue;
      const bad = s.tasks(sec).find((t) => !['classification', 'multiple-choice'].includes(kindOfTask(t).kind));
      if (bad)
        throw new Error(
          `${at}: ${m.spec.method} predicts by majority vote, which needs classes or choices; ${bad} is ` +
            `${kindOfTask(bad).kind} (use a single-model mitigation there, e.g. swa, via per_task.${bad})`,
        );
    }
  }
}
