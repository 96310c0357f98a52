// The RolloutController contract, run against SQLite and PostgreSQL: one harness per run; each test
// uses its own model names, so tests share one database.
import { after, before, describe } from 'node:test';
import type { StoreTarget } from '../store/targets.ts';
import { canaryCases } from './cases-canary.ts';
import { operationCases } from './cases-operations.ts';
import { policyCases } from './cases-policies.ts';
import { transitionCases } from './cases-transitions.ts';
import { openRouting, type Harness } from './harness.ts';

export type GetHarness = () => Harness;

export function controllerContract(makeTarget: () => StoreTarget): void {
  const target = makeTarget();
  let harness: Harness | undefined;
  let openError: unknown;
  // A store that cannot open fails every test with its reason (never a skip or a silent cancel).
  const get: GetHarness = () => {
    if (!harness) throw openError ?? new Error(`the ${target.label} routing harness is not open`);
    return harness;
  };
  describe(`RolloutController contract (${target.label})`, () => {
    before(async () => {
      harness = await openRouting(target).catch((err: unknown) => {
        openError = err;
        return undefined;
      });
    });
    after(async () => {
      await harness?.close();
      await target.cleanup();
    });
    canaryCases(get);
    operationCases(get);
    policyCases(get);
    transitionCases(get);
  });
}
