// The registry contract: every behaviour of VersionRegistry, run against each Store implementation
// (SQLite file, real PostgreSQL). One harness per run; each test uses its own model names.
import { after, before, describe } from 'node:test';
import type { StoreTarget } from '../../store/targets.ts';
import { aliasCases } from './cases-aliases.ts';
import { concurrencyCases } from './cases-concurrency.ts';
import { lifecycleCases } from './cases-lifecycle.ts';
import { registerCases } from './cases-register.ts';
import { openHarness, type Harness } from './fixtures.ts';

export type GetHarness = () => Harness;

export function registryContract(makeTarget: () => StoreTarget): void {
  const target = makeTarget();
  let harness: Harness | undefined;
  let openError: unknown;
  // A store that cannot open fails every test with its reason (never a skip or a silent cancel).
  const get: GetHarness = () => {
    if (!harness) throw openError ?? new Error(`the ${target.label} registry harness is not open`);
    return harness;
  };
  describe(`VersionRegistry contract (${target.label})`, () => {
    before(async () => {
      harness = await openHarness(target).catch((err: unknown) => {
        openError = err;
        return undefined;
      });
    });
    after(async () => {
      await harness?.close();
      await target.cleanup();
    });
    registerCases(get);
    aliasCases(get);
    lifecycleCases(get);
    concurrencyCases(get);
  });
}
