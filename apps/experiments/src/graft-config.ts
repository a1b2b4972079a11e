// `graft:` in a config: what the key-by-key schema cannot see - that the grid makes the runs it names, tasks a graft
// can score (classification: per-class draws, ECE), PEFT methods that merge into the base weights (a graft reads full
// weights), and no AL experiment beside it.
import { kindOfTask } from '@prunelab/datasets';
import { peftMethod } from '@prunelab/finetune';
import { winningTicketRemoved } from '@prunelab/pruning';
import { expandSubsets } from './grid.ts';
import { cellSettings, type ExperimentConfig } from './schema.ts';

type Where = (path: string[]) => string;

export function checkGraftConfig(cfg: ExperimentConfig, where: Where): void {
  const g = cfg.graft;
  if (!g) return;
  const at = (key: string) => `${where(['graft', key])}: graft.${key}`;
  if (cfg.al)
    throw new Error(
      `${where(['graft'])}: graft: reads the pruning grid's runs, but this config is an active-learning ` +
        'experiment (al:); graft a pruning grid, or remove graft:',
    );
  for (const task of cfg.tasks) {
    if (kindOfTask(task).kind !== 'classification')
      throw new Error(
        `${at('runs')}: task '${task}' is ${kindOfTask(task).kind}; grafting here scores classification (per-class ` +
          'draws, calibration error): remove the task or the graft: section',
      );
  }
  const cells = cfg.tasks.flatMap((task) => Object.keys(cfg.models).map((model) => ({ task, model })));
  const scored = cfg.phase2.methods.some((m) => m !== 'full') || cfg.pruning.transfer.length > 0;
  for (const run of g.runs) {
    const phase = run === 'phase1' ? 'phase1' : 'phase2';
    const made = cells.some(({ task, model }) => {
      const s = cellSettings(cfg, task, model);
      if (run === 'phase1') return scored;
      if (!s.phase2.methods.includes(run)) return false;
      if (run === 'full') return true;
      const R = s.phase1.seeds.length;
      return R >= 2 && expandSubsets(cfg.pruning.subsets, R).some((r) => r.join() === winningTicketRemoved(R).join());
    });
    if (!made)
      throw new Error(
        `${at('runs')} names '${run}', but the grid makes no such run: ` +
          (run === 'phase1'
            ? 'phase-1 runs exist when phase2.methods holds more than full'
            : run === 'full'
              ? "add 'full' to phase2.methods"
              : `grafting reads '${run}' at the winning ticket: add '${run}' to phase2.methods and 'winning' to ` +
                'pruning.subsets (with at least 2 phase-1 seeds)'),
      );
    for (const { task, model } of cells) {
      const peft = cellSettings(cfg, task, model)[phase].peft;
      if (!peft || peft === 'none') continue;
      const m = peftMethod(peft.method);
      if (!m.merge)
        throw new Error(
          `${at('runs')} names '${run}', whose ${task}/${model} runs use ${peft.method}, which adds parameters ` +
            'with no pretrained value (it cannot merge into the base weights); graft full fine-tuning, LoRA or IA3 ' +
            'runs',
        );
    }
  }
}
