// Development-only loading of unsigned model folders (modelRepository with allowUnsigned).
import type { Logger } from 'pino';
import { type ModelSet, scanRepository } from '../registry/index.ts';
import { loadVersion, type LoadSettings } from '../runtime/index.ts';

/** Development only: loads the unsigned versions of a repository folder; failures are recorded, not fatal. */
export async function loadRepository(root: string, models: ModelSet, settingsFor: (n: string, v: string) => LoadSettings, logger: Logger): Promise<void> {
  const scan = await scanRepository(root);
  for (const f of scan.failures) {
    models.recordFailure(f);
    logger.error({ model: f.name, version: f.version }, `model not loaded: ${f.reason}`);
  }
  for (const src of scan.sources) {
    try {
      const v = await loadVersion(src, settingsFor(src.name, src.version));
      await models.add(v);
      logger.info({ model: v.name, version: v.version, batched: v.batched }, 'model loaded');
    } catch (err) {
      const reason = err instanceof Error ? err.message : 'cannot be loaded';
      models.recordFailure({ name: src.name, version: src.version, reason });
      logger.error({ model: src.name, version: src.version }, `model not loaded: ${reason}`);
    }
  }
}
