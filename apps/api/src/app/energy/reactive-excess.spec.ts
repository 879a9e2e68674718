import { hourPowerFactor, reactiveExcessKWh } from './reactive-excess';

describe('excess reactive energy', () => {
  it('takes the hour’s power factor from mean active and reactive power, else from the reported power factor', () => {
    // 8 kW and 6 kvar: S = 10 kVA, PF = 0.8.
    expect(hourPowerFactor({ power: 8000, reactivePower: 6000 })).toBeCloseTo(0.8, 12);
    // A capacitive hour (negative var) has the same factor.
    expect(hourPowerFactor({ power: 8000, reactivePower: -6000 })).toBeCloseTo(0.8, 12);
    expect(hourPowerFactor({ powerFactor: -0.85 })).toBeCloseTo(0.85, 12);
    expect(hourPowerFactor({ power: 0, reactivePower: 0 })).toBeNull();
    expect(hourPowerFactor({ power: 5000 })).toBeNull();
  });

  it('charges EEAM × (0.92 / fT − 1) below 0.92 and nothing at or above it', () => {
    // 10 kWh at PF 0.8: 10 × (0.92 / 0.8 − 1) = 10 × 0.15 = 1.5 kWh.
    expect(reactiveExcessKWh(10, 0.8)).toBeCloseTo(1.5, 12);
    // 4 kWh at PF 0.46: 4 × (2 − 1) = 4 kWh.
    expect(reactiveExcessKWh(4, 0.46)).toBeCloseTo(4, 12);
    expect(reactiveExcessKWh(10, 0.92)).toBe(0);
    expect(reactiveExcessKWh(10, 0.99)).toBe(0);
    expect(reactiveExcessKWh(0, 0.5)).toBe(0);
  });
});
