import { METRIC_NAME_PATTERN, metricUnit } from './metrics';

describe('metrics', () => {
  it('gives canonical units, energy in Wh', () => {
    expect(metricUnit('energy')).toBe('Wh');
    expect(metricUnit('importEnergy')).toBe('Wh');
    expect(metricUnit('voltage')).toBe('V');
    expect(metricUnit('nope')).toBeUndefined();
  });
  it('accepts identifier-like metric names only', () => {
    expect(METRIC_NAME_PATTERN.test('voltageL1')).toBe(true);
    expect(METRIC_NAME_PATTERN.test('1volt')).toBe(false);
    expect(METRIC_NAME_PATTERN.test('a b')).toBe(false);
  });
});
