// Command line trainer for the example spam filter (`npm run train:spam`). With no --train it prepares the
// SpamAssassin split itself, so one command goes from the npm package to model.onnx and manifest.json.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { readLabelledJsonl, JsonlFormatError } from './jsonl.ts';
import { CORPUS_SOURCE, DEFAULT_DATA_DIR, prepareCorpus } from './prepare-corpus.ts';
import { DEFAULT_OPTIONS, DEFAULT_OUT_DIR, trainSpamFilter, writeArtifacts, type TrainInput, type TrainOptions } from './pipeline.ts';
import { silentProgress, stderrProgress } from './progress.ts';

const HELP = `Train the ModelGate example spam filter and write model.onnx and manifest.json.

usage: npm run train:spam -- [options]
       node --import tsx examples/spam-filter/train.ts [options]

options:
  --train FILE         labelled JSON lines, one {"text": "...", "label": "ham"|"spam"} per line
                       (any case; 0 and 1 also read as ham and spam).
                       Without it the SpamAssassin corpus is split into ${DEFAULT_DATA_DIR}/ first.
  --test FILE          held-out JSON lines for the metrics (required with --train)
  --out DIR            output folder (default ${DEFAULT_OUT_DIR})
  --seed N             seed of the shuffling PRNG (default ${DEFAULT_OPTIONS.seed})
  --vocab-size N       most unigrams+bigrams kept, by document frequency (default ${DEFAULT_OPTIONS.vocabSize})
  --min-df N           least number of training messages a term must appear in (default ${DEFAULT_OPTIONS.minDf})
  --epochs N           passes over the training split (default ${DEFAULT_OPTIONS.epochs})
  --batch-size N       messages per Adam step (default ${DEFAULT_OPTIONS.batchSize})
  --learning-rate X    Adam step size (default ${DEFAULT_OPTIONS.learningRate})
  --l2 X               L2 penalty on the weights (default ${DEFAULT_OPTIONS.l2})
  --model-version V    version written into the manifest (default ${DEFAULT_OPTIONS.version})
  --quiet              no progress on stderr
  -h, --help           this text

The same data and options give byte-identical files. Progress goes to stderr, the summary to stdout.`;

const INT_OPTIONS = { seed: 'seed', 'vocab-size': 'vocabSize', 'min-df': 'minDf', epochs: 'epochs', 'batch-size': 'batchSize' } as const;
const FLOAT_OPTIONS = { 'learning-rate': 'learningRate', l2: 'l2' } as const;

export class UsageError extends Error {}

export function parseTrainArgs(argv: string[]): { help: boolean; quiet: boolean; train?: string; test?: string; out: string; options: TrainOptions } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' }, quiet: { type: 'boolean' },
      train: { type: 'string' }, test: { type: 'string' }, out: { type: 'string' }, 'model-version': { type: 'string' },
      seed: { type: 'string' }, 'vocab-size': { type: 'string' }, 'min-df': { type: 'string' }, epochs: { type: 'string' },
      'batch-size': { type: 'string' }, 'learning-rate': { type: 'string' }, l2: { type: 'string' },
    },
  });
  const options: TrainOptions = { ...DEFAULT_OPTIONS };
  for (const [flag, key] of Object.entries(INT_OPTIONS)) {
    const raw = values[flag as keyof typeof values];
    if (typeof raw !== 'string') continue;
    const n = Number(raw);
    const min = key === 'seed' ? 0 : 1;
    if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    options[key] = n;
  }
  for (const [flag, key] of Object.entries(FLOAT_OPTIONS)) {
    const raw = values[flag as keyof typeof values];
    if (typeof raw !== 'string') continue;
    const x = Number(raw);
    if (!Number.isFinite(x) || x < 0 || raw.trim() === '') throw new UsageError(`--${flag} must be a number >= 0, got ${JSON.stringify(raw)}`);
    options[key] = x;
  }
  if (values['model-version']) options.version = values['model-version'];
  if (values.train !== undefined && values.test === undefined) throw new UsageError('--train needs --test: metrics come from a held-out file');
  if (values.test !== undefined && values.train === undefined) throw new UsageError('--test needs --train');
  return { help: values.help ?? false, quiet: values.quiet ?? false, train: values.train, test: values.test, out: values.out ?? DEFAULT_OUT_DIR, options };
}

/** Logistic regression needs both classes to learn and both to measure ROC-AUC; say so up front. */
export function checkClasses(input: Pick<TrainInput, 'train' | 'test'>): string | undefined {
  for (const [name, rows] of [['training', input.train], ['test', input.test]] as const) {
    const spam = rows.filter((r) => r.label === 'spam').length;
    if (spam === 0 || spam === rows.length) return `the ${name} file needs both "ham" and "spam" examples (it has ${spam} spam of ${rows.length})`;
  }
  return undefined;
}

function main(argv: string[]): number {
  let args: ReturnType<typeof parseTrainArgs>;
  try {
    args = parseTrainArgs(argv);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n\nrun with --help for the options`);
    return 2;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const progress = args.quiet ? silentProgress() : stderrProgress();
  const started = Date.now();
  let input: TrainInput;
  try {
    if (args.train && args.test) {
      input = { train: readLabelledJsonl(args.train), test: readLabelledJsonl(args.test), source: 'user-supplied JSON lines files' };
    } else {
      const prepared = prepareCorpus(DEFAULT_DATA_DIR);
      progress.note(`prepared ${prepared.train} (${prepared.trainCount}) and ${prepared.test} (${prepared.testCount})`);
      input = {
        train: readLabelledJsonl(prepared.train),
        test: readLabelledJsonl(prepared.test),
        source: CORPUS_SOURCE,
      };
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof JsonlFormatError || code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      console.error(`error: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
  const problem = checkClasses(input);
  if (problem) {
    console.error(`error: ${problem}`);
    return 1;
  }
  const result = trainSpamFilter(input, args.options, progress);
  const written = writeArtifacts(args.out, result);
  const m = result.metrics;
  console.log(`wrote ${written.model} (${result.onnx.length} bytes) and ${written.manifest}`);
  console.log(`held-out: accuracy ${m.accuracy.toFixed(4)}  precision ${m.precision.toFixed(4)}  recall ${m.recall.toFixed(4)}  ` +
    `F1 ${m.f1.toFixed(4)}  ROC-AUC ${m.rocAuc.toFixed(5)}  (tp ${m.confusionMatrix.tp}, fp ${m.confusionMatrix.fp}, ` +
    `tn ${m.confusionMatrix.tn}, fn ${m.confusionMatrix.fn})`);
  console.log(`trained in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
