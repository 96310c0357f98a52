// Engines that run models: the interface, ONNX Runtime, warm-up, and loading a servable version.
export { type Engine, warmupInputs } from './engine.ts';
export { createOnnxEngine, sanitizeRuntimeMessage } from './onnx.ts';
export { loadVersion, type ModelSource, type ServedVersion, type LoadSettings } from './model.ts';
export { createWorkerEngine } from './worker-engine.ts';
