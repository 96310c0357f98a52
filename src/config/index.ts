// Settings: the table of every setting, loading and validation, the resulting frozen Config.
export { loadConfig, type LoadOptions } from './load.ts';
export { SECTION_KEYS } from './sections.ts';
export { SETTINGS, envName, flagName, type SettingKey, type SettingDef } from './settings.ts';
export { settingsForModel, type Config, type BatchingConfig, type RuntimeConfig } from './types.ts';
