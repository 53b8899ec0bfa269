// @selfsup/train/study: head studies — configs, presets, running them, and their files.
export { resolveStudy, type StudyConfig, type StudyConfigInput } from '../study/config';
export { STUDY_PRESETS, STUDY_PRESET_NAMES } from '../study/presets';
export { runStudy, type StudyOptions, type StudyResult } from '../study/run-study';
export type { LayerMetric, LayerMetrics, LayerStudyFile, StudyFile, StudyRunRecord, ArmLayerSummary, PairedDifference, IntervalStat } from '../study/types';
