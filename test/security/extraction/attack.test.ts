// THE ATTACK TEST: real extraction attacks against the real example spam model (onnxruntime-node, no
// mocks), a surrogate trained on the answers, and the detector watching the same query stream. The
// detector must flag the attacker while the stolen copy still disagrees with the model on more than 10%
// of held-out mail, and must never flag benign clients sending real mail at the same rate and count.
import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ExtractionDetector, parseExtractionSettings, type ExtractionResult, type Level } from '../../../src/security/extraction/index.ts';
import {
  augmentationAttacker, benignClient, loadSplit, openOracle, randomBagAttacker, seedPerturbationAttacker, Surrogate,
  surrogateFeatures, wordList, type Answer, type Features,
} from './attack-kit.ts';

const QUERIES = 1300;
const BATCH = 50; // model calls are batched; the detector still sees one request per email
const EVERY = 50; // surrogate retrained and measured every EVERY queries
const STEP_MS = 1000; // one request per second, for attacker and benign alike

interface Run {
  flaggedAt: number | null;
  agreementAtFlag: number | null;
  reached90At: number | null;
  maxAgreement: number;
  levels: { level: Level; at: number }[];
  tripped: Set<string>;
  peaks: Record<string, number | null>;
}

let oracle: (texts: string[]) => Promise<Answer>;
let heldOut: Features[];
let heldOutSpam: boolean[];
let words: string[];
let seeds: string[];
let trainTexts: string[];
let testTexts: string[];

async function run(next: () => string, principal: string, withSurrogate: boolean): Promise<Run> {
  let now = Date.UTC(2025, 0, 1);
  const detector = new ExtractionDetector(parseExtractionSettings(), { clock: () => now });
  const out: Run = { flaggedAt: null, agreementAtFlag: null, reached90At: null, maxAgreement: 0, levels: [], tripped: new Set(), peaks: {} };
  const rows: Features[] = [];
  const targets: number[] = [];
  const surrogate = new Surrogate();
  const measure = (n: number) => {
    surrogate.train(rows.slice(0, n), targets.slice(0, n), 17);
    return surrogate.agreement(heldOut, heldOutSpam);
  };
  let last: ExtractionResult | undefined;
  for (let q = 0; q < QUERIES; q += BATCH) {
    const texts = Array.from({ length: BATCH }, next);
    const answer = await oracle(texts);
    for (let i = 0; i < BATCH; i++) {
      now += STEP_MS;
      const probabilities = [answer.probabilities[2 * i], answer.probabilities[2 * i + 1]];
      last = detector.observe({
        principal, model: 'spam-filter',
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [texts[i]] }],
        probabilities: [probabilities],
      });
      for (const [name, r] of Object.entries(last.signals)) {
        if (r.tripped) out.tripped.add(name);
        if (r.value !== null) out.peaks[name] = name === 'prada' ? Math.min(out.peaks[name] ?? 1, r.value) : Math.max(out.peaks[name] ?? 0, r.value);
      }
      if (last.changed) out.levels.push({ level: last.level, at: q + i + 1 });
      rows.push(surrogateFeatures(texts[i]));
      targets.push(probabilities[1]);
      if (out.flaggedAt === null && last.level !== 'none') {
        out.flaggedAt = q + i + 1;
        if (withSurrogate) out.agreementAtFlag = measure(out.flaggedAt);
      }
    }
    if (withSurrogate && (q + BATCH) % EVERY === 0) {
      const a = measure(rows.length);
      out.maxAgreement = Math.max(out.maxAgreement, a);
      if (out.reached90At === null && a >= 0.9) out.reached90At = q + BATCH;
    }
  }
  return out;
}

function report(t: TestContext, name: string, r: Run): void {
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  t.diagnostic(`${name}: flagged at query ${r.flaggedAt ?? 'never'} (surrogate agreement then ${pct(r.agreementAtFlag)}); ` +
    `surrogate reaches 90% at query ${r.reached90At ?? `never (max ${pct(r.maxAgreement)})`}; ` +
    `levels ${r.levels.map((l) => `${l.level}@${l.at}`).join(' ') || 'none'}; tripped [${[...r.tripped].join(', ')}]; ` +
    `peaks ${Object.entries(r.peaks).map(([k, v]) => `${k}=${v === null ? '-' : v.toFixed(3)}`).join(' ')}`);
}

describe('extraction attack on the example spam filter', () => {
  before(async () => {
    const split = loadSplit();
    trainTexts = split.train.map((r) => r.text);
    testTexts = split.test.map((r) => r.text);
    oracle = await openOracle();
    heldOutSpam = [];
    for (let i = 0; i < testTexts.length; i += 200) {
      const a = await oracle(testTexts.slice(i, i + 200));
      for (const l of a.labels) heldOutSpam.push(l === 'spam');
    }
    heldOut = testTexts.map(surrogateFeatures);
    // The attacker's public resources: a word list and twenty emails of its own (ten ham, ten spam).
    words = wordList(trainTexts, 5000);
    seeds = [...split.train.filter((r) => r.label === 'ham').slice(0, 10), ...split.train.filter((r) => r.label === 'spam').slice(0, 10)].map((r) => r.text);
  });

  it('flags the seed-perturbation attacker long before its surrogate agrees with the model on 90% of held-out mail', async (t) => {
    const r = await run(seedPerturbationAttacker(seeds, words, 7), 'attacker', true);
    report(t, 'seed perturbation', r);
    assert.ok(r.reached90At !== null, 'the attack works: its surrogate reaches 90% agreement within the budget');
    assert.ok(r.flaggedAt !== null && r.agreementAtFlag !== null, 'the attacker is flagged');
    assert.ok(r.agreementAtFlag < 0.9, `agreement at flag ${r.agreementAtFlag} is below 90%`);
    assert.ok(r.flaggedAt * 4 <= r.reached90At, `flagged at ${r.flaggedAt}, at most a quarter of the ${r.reached90At} queries the attack needs`);
    assert.ok(r.levels.some((l) => l.level === 'likely'), 'a persistent attacker is escalated to degraded outputs');
  });

  it('flags the Jacobian-style augmentation attacker through PRADA', async (t) => {
    const r = await run(augmentationAttacker(seeds, words, 5), 'augmenter', true);
    report(t, 'augmentation (JbDA-style)', r);
    assert.ok(r.flaggedAt !== null && r.agreementAtFlag !== null && r.agreementAtFlag < 0.9);
    assert.ok(r.tripped.has('prada'), 'PRADA trips on the doubling set of small steps');
  });

  it('flags the random word-bag attacker through input-space coverage', async (t) => {
    const r = await run(randomBagAttacker(words, 7), 'bagger', true);
    report(t, 'random word bags', r);
    assert.ok(r.flaggedAt !== null && r.agreementAtFlag !== null && r.agreementAtFlag < 0.9);
    assert.ok(r.tripped.has('coverage'));
  });

  for (const [name, split, seed] of [['training', 'train', 11], ['held-out', 'test', 12]] as const) {
    it(`never flags a benign client sending ${QUERIES} real ${name} emails at the same rate`, async (t) => {
      const r = await run(benignClient(split === 'train' ? trainTexts : testTexts, seed), `benign-${split}`, false);
      report(t, `benign (${name} emails)`, r);
      assert.equal(r.flaggedAt, null, `benign client flagged at ${r.flaggedAt}: ${[...r.tripped].join(', ')}`);
      assert.equal(r.tripped.size, 0);
    });
  }
});
