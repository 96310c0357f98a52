// Entry of the feature worker thread, in plain JavaScript: worker threads start without the TypeScript
// loader, so this registers it and then runs the worker itself (worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
