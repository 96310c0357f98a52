// Settings: the table of every setting, loading and validation, the resulting frozen Config.
export { loadConfig, SECTION_ENV_KEYS, type LoadOptions } from './load.ts';
export { SETTINGS, envName, flagName, type SettingKey, type SettingDef } from './settings.ts';
export { settingsForModel, type Config, type BatchingConfig, type RuntimeConfig } from './types.ts';
