// `experiments pretrain`: a tiny OPT trained by next-token prediction on unlabelled TRAIN text, saved as an
// OPTForCausalLM folder the grid fine-tunes (loadModel gives it a fresh `score` head). Resumable: params, AdamW
// moments and the step (which fixes the data cursor and the dropout masks) are snapshotted into <run_dir>/<name> by
// libs/finetune's saveTrainState, as fine-tuning does; state.json marks a finished run, which reruns skip.
import * as tf from '@tensorflow/tfjs';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { permutation } from '@prunelab/core';
import { findRepoRoot, pretrainStreams } from '@prunelab/datasets';
import { writeTruncatedBpe } from '@prunelab/tokenizers';
import {
  AdamW,
  EVAL,
  chooseBackend,
  disposeParams,
  hfNoDecay,
  initParams,
  lmLoss,
  loadTrainState,
  parseOptConfig,
  perplexity,
  saveCausalLm,
  saveTrainState,
  streamBlocks,
  trainStateFile,
  type ForwardContext,
  type OptConfig,
} from '@prunelab/finetune';
import { writeJsonAtomic } from './files.ts';
import type { PretrainConfig } from './pretrain-config.ts';
import { gitCommit, openTracking } from './tracking.ts';

export interface PretrainResult {
  modelDir: string;
  skipped: boolean;
  steps: number;
  tokensSeen: number;
  params: number;
  vocabSize: number;
  pplBefore?: number;
  pplAfter?: number;
  seconds: number;
  tokensPerSecond: number;
}

export interface PretrainOptions {
  log?: (l: string) => void;
  /** the model folder; default <out_dir>/<name> */
  modelDir?: string;
  /** stop (as if killed) after this many steps, once the checkpoint there is written; tests use it */
  stopAfter?: number;
  /** skip the backend choice (the caller chose one) */
  noBackend?: boolean;
  /** no MLflow run (tests) */
  noTracking?: boolean;
}

interface State {
  step: number;
  tokensSeen: number;
  seconds: number;
  pplBefore?: number;
  done?: boolean;
}

/** Warmup from 0, then cosine decay to lr * min_lr_ratio at the last step. */
export function cosineSchedule(lr: number, total: number, warmup: number, minRatio: number): (step: number) => number {
  return (s) => {
    if (s < warmup) return (lr * (s + 1)) / warmup;
    const p = Math.min(1, (s - warmup) / Math.max(1, total - warmup));
    return lr * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * p)));
  };
}

export function pretrainOptConfig(cfg: PretrainConfig, vocabSize: number): OptConfig {
  return parseOptConfig({
    model_type: 'opt',
    architectures: ['OPTForCausalLM'],
    vocab_size: vocabSize,
    ...cfg.model,
    word_embed_proj_dim: cfg.model.hidden_size,
    do_layer_norm_before: true,
    attention_dropout: 0,
    activation_function: 'relu',
    init_std: 0.02,
    pad_token_id: 1,
    bos_token_id: 2,
    eos_token_id: 2,
    num_labels: 2,
    prunelab_pretrain: cfg.name,
  });
}

/** Rows of step `s`: a fresh permutation of the blocks each epoch, read in order (the step is the data cursor). */
function stepRows(s: number, batch: number, nBlocks: number, seed: number, cache: Map<number, Int32Array>): number[] {
  const rows: number[] = [];
  for (let i = 0; i < batch; i++) {
    const g = s * batch + i;
    const epoch = Math.floor(g / nBlocks);
    let perm = cache.get(epoch);
    if (!perm) {
      cache.clear();
      perm = permutation(nBlocks, seed * 7919 + epoch);
      cache.set(epoch, perm);
    }
    rows.push(perm[g % nBlocks]!);
  }
  return rows;
}

/** Whole or not at all, with the path in the error (files.ts). */
const writeJson = (file: string, v: unknown): void => writeJsonAtomic(file, v);

export async function pretrain(cfg: PretrainConfig, opts: PretrainOptions = {}): Promise<PretrainResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const modelDir = opts.modelDir ?? join(cfg.out_dir, cfg.name);
  const runDir = join(cfg.run_dir, cfg.name);
  mkdirSync(runDir, { recursive: true });
  const stateFile = join(runDir, 'state.json'); // written when the run is finished
  const snapshotFile = trainStateFile(runDir);
  const finished: State | undefined = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : undefined;
  let state: State = { step: 0, tokensSeen: 0, seconds: 0 };
  if (finished?.done && existsSync(join(modelDir, 'config.json')) && existsSync(join(modelDir, 'model.safetensors'))) {
    log(`pretrain ${cfg.name}: finished earlier (${finished.step} steps), model in ${modelDir}`);
    const summary = JSON.parse(readFileSync(join(modelDir, 'pretrain.json'), 'utf8')) as PretrainResult;
    return { ...summary, skipped: true };
  }
  if (!opts.noBackend) {
    const b = await chooseBackend();
    log(`backend: ${b.name}`);
  }
  // Tokenizer and token streams (cached under .cache/pretrain).
  const cacheDir = join(findRepoRoot(), '.cache', 'pretrain');
  const tokDir = join(cacheDir, `tokenizer-gpt2-${cfg.vocab.merges}`);
  const tok = writeTruncatedBpe(cfg.vocab.tokenizer, cfg.vocab.merges, tokDir);
  const eos = tok.tokenToId('</s>')!;
  const t0 = performance.now();
  const streams = pretrainStreams(
    cfg.data.sources,
    cfg.data.held_out_fraction,
    tok,
    `gpt2-${cfg.vocab.merges}`,
    eos,
    cacheDir,
  );
  log(
    `corpus: ${streams.trainDocs} train docs (${streams.train.length} tokens), ${streams.heldOutDocs} held-out docs ` +
      `(${streams.heldOut.length} tokens), ` +
      `${streams.duplicates} duplicates dropped${streams.cached ? ', from cache' : ''} ` +
      `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const T = cfg.train.block_size;
  const nBlocks = Math.floor((streams.train.length - 1) / T);
  if (nBlocks < 1)
    throw new Error(`the training stream has ${streams.train.length} tokens, fewer than one block of ${T}`);

  const c = pretrainOptConfig(cfg, tok.vocabSize);
  const params = initParams(c, cfg.seed);
  for (const k of [...params.keys()].filter((k) => !k.startsWith('model.'))) {
    params.get(k)!.dispose();
    params.delete(k);
  }
  const nParams = [...params.values()].reduce((n, p) => n + p.size, 0);
  const tr = cfg.train;
  const opt = new AdamW(params, {
    lr: tr.lr,
    weightDecay: tr.weight_decay,
    noDecay: hfNoDecay,
    maxGradNorm: tr.max_grad_norm,
  });
  const snap = loadTrainState<State>(snapshotFile, params, opt);
  if (snap) {
    state = snap.loop;
    log(`resuming at step ${state.step}/${tr.steps} from ${snapshotFile}`);
  }
  const heldOut = (): number => perplexity(params, c, streams.heldOut, T, 32, cfg.data.eval_blocks).ppl;
  log(
    `model: OPT hidden ${c.hidden_size}, ${c.num_hidden_layers} layers, ${c.num_attention_heads} heads, FFN ` +
      `${c.ffn_dim}, vocab ${c.vocab_size}, ${(nParams / 1e6).toFixed(2)}M parameters (tied LM head)`,
  );

  const tracking = opts.noTracking ? undefined : await openTracking(runDir, `pretrain-${cfg.name}`, log);
  const run = tracking
    ? await tracking.tracker.createRun(tracking.experimentId, {
        runName: `${cfg.name}-from-${state.step}`,
        tags: {
          pretrain: cfg.name,
          git_commit: gitCommit(),
          'mlflow.source.git.commit': gitCommit(),
          resumed_from: String(state.step),
        },
      })
    : undefined;
  await run?.logParams({
    ...Object.fromEntries(Object.entries(cfg.model).map(([k, v]) => [`model.${k}`, v])),
    ...Object.fromEntries(Object.entries(tr).map(([k, v]) => [`train.${k}`, v])),
    vocab_merges: cfg.vocab.merges,
    vocab_size: c.vocab_size,
    held_out_fraction: cfg.data.held_out_fraction,
    params: nParams,
    train_tokens: streams.train.length,
    seed: cfg.seed,
  });
  if (state.step === 0 && state.pplBefore === undefined) {
    state.pplBefore = heldOut();
    log(`held-out perplexity at step 0 (untrained): ${state.pplBefore.toFixed(1)}`);
    await run?.logMetric('heldout_ppl', state.pplBefore, 0);
  }
  const lr = cosineSchedule(tr.lr, tr.steps, tr.warmup, tr.min_lr_ratio);
  const vars = [...params.values()];
  const perms = new Map<number, Int32Array>();
  let windowStart = performance.now();
  let windowTokens = 0;
  let lossSum = 0;
  let lossN = 0;
  try {
    while (state.step < tr.steps) {
      const s = state.step;
      const rows = stepRows(s, tr.batch_size, nBlocks, cfg.seed, perms);
      let dropSeed = (cfg.seed * 1_000_003 + s * 997) >>> 0; // a function of the step: resumed runs draw the same masks
      const ctx: ForwardContext = tr.dropout > 0 ? { training: true, nextSeed: () => dropSeed++ } : EVAL;
      const c2 = tr.dropout > 0 ? { ...c, dropout: tr.dropout } : c;
      const block = streamBlocks(streams.train, T, rows);
      const { value, grads } = tf.variableGrads(() => lmLoss(params, c2, block, ctx), vars);
      await opt.apply(grads, lr(s));
      lossSum += (await value.data())[0]!;
      lossN++;
      tf.dispose([value, block, ...Object.values(grads)]);
      state.step++;
      state.tokensSeen += rows.length * T;
      windowTokens += rows.length * T;
      if (state.step % tr.log_every === 0 || state.step === tr.steps) {
        const now = performance.now();
        const secs = (now - windowStart) / 1000;
        state.seconds += secs;
        const tps = windowTokens / secs;
        const eta = ((tr.steps - state.step) * tr.batch_size * T) / tps;
        log(
          `step ${state.step}/${tr.steps} loss ${(lossSum / lossN).toFixed(3)} lr ${lr(s).toExponential(2)} ` +
            `${tps.toFixed(0)} tok/s eta ${(eta / 60).toFixed(1)} min`,
        );
        await run?.logMetrics({ train_loss: lossSum / lossN, lr: lr(s), tokens_per_second: tps }, state.step);
        windowStart = now;
        windowTokens = 0;
        lossSum = 0;
        lossN = 0;
      }
      const last = state.step === tr.steps;
      if (state.step % tr.checkpoint_every === 0 || last || state.step === opts.stopAfter) {
        await saveTrainState(snapshotFile, params, opt, state);
        if (!last && state.step % tr.checkpoint_every === 0) {
          const p = heldOut();
          log(`checkpoint at step ${state.step}: held-out perplexity ${p.toFixed(1)}`);
          await run?.logMetric('heldout_ppl', p, state.step);
          windowStart = performance.now(); // evaluation time is not training time
        }
      }
      if (state.step === opts.stopAfter && !last) {
        await run?.end('KILLED');
        return {
          modelDir,
          skipped: false,
          steps: state.step,
          tokensSeen: state.tokensSeen,
          params: nParams,
          vocabSize: c.vocab_size,
          seconds: state.seconds,
          tokensPerSecond: state.tokensSeen / Math.max(1e-9, state.seconds),
        };
      }
    }
    const pplAfter = heldOut();
    log(
      `held-out perplexity after ${state.step} steps: ${pplAfter.toFixed(1)} (untrained: ` +
        `${state.pplBefore?.toFixed(1)})`,
    );
    await run?.logMetric('heldout_ppl', pplAfter, state.step);
    saveCausalLm(modelDir, c, params, { dropout: cfg.model.dropout });
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(tokDir, f), join(modelDir, f));
    const result: PretrainResult = {
      modelDir,
      skipped: false,
      steps: state.step,
      tokensSeen: state.tokensSeen,
      params: nParams,
      vocabSize: c.vocab_size,
      pplBefore: state.pplBefore,
      pplAfter,
      seconds: state.seconds,
      tokensPerSecond: state.tokensSeen / Math.max(1e-9, state.seconds),
    };
    writeJson(join(modelDir, 'pretrain.json'), {
      ...result,
      config: cfg,
      held_out_tokens: streams.heldOut.length,
      train_tokens: streams.train.length,
    });
    state.done = true;
    writeJson(stateFile, state);
    rmSync(snapshotFile, { force: true }); // the model folder holds the result
    await run?.end('FINISHED');
    return result;
  } catch (e) {
    await run?.end('FAILED');
    throw e;
  } finally {
    opt.dispose();
    disposeParams(params);
  }
}
