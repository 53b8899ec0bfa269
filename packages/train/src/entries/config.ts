// @selfsup/train/config: the validated run config in detail.
export * from '../config/schema';
export { PRESETS, PRESET_NAMES, type PresetName } from '../config/presets';
export { mergeConfig, parseOverride, readConfigFile, resolveConfig, validateConfig, type ResolveConfigOptions } from '../config/load';
