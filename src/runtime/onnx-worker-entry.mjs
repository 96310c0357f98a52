// Entry of an engine worker thread, in plain JavaScript: worker threads start without the TypeScript
// loader, so this registers it and then runs the worker itself (onnx-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./onnx-worker.ts');
