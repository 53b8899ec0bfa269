import { describe, expect, it } from 'vitest';
import { formatLayerTable } from './layer-table';

describe('formatLayerTable', () => {
  it('lines up one row per layer under a header, with - for a metric the study skipped', () => {
    const table = formatLayerTable([
      { layer: 'backbone.conv', part: 'backbone', dim: 12, knnAccuracy: 0.5, linearAccuracy: 0.8125, effectiveRank: 7.04 },
      { layer: 'head.1', part: 'head', dim: 5, knnAccuracy: 1, effectiveRank: 1 },
    ]);
    expect(table.split('\n')).toEqual([
      'layer          dims      kNN  linear  eff. rank',
      '-------------  ----  -------  ------  ---------',
      'backbone.conv    12   50.00%  81.25%        7.0',
      'head.1            5  100.00%       -        1.0',
    ]);
  });
});
