import { blankTariffForm, energyPostos, fractionToPercent, percentToFraction, QUARTER_HOURS, tariffBody, windowPostos } from './tariff-form';

describe('tariff form helpers', () => {
  it('turns percentages into fractions and back without floating-point crumbs', () => {
    // plain division gives 0.57 / 100 = 0.005699999999999999 and 0.0057 × 100 = 0.5700000000000001
    expect(percentToFraction(0.57)).toBe(0.0057);
    expect(fractionToPercent(0.0057)).toBe(0.57);
    expect(percentToFraction(18)).toBe(0.18);
    expect(percentToFraction(null)).toBe(0);
  });

  it('asks each modality for its own rates and window postos', () => {
    expect(energyPostos('convencional')).toEqual(['foraPonta']);
    expect(energyPostos('azul')).toEqual(['foraPonta', 'ponta']);
    expect(windowPostos('convencional')).toEqual([]);
    expect(windowPostos('verde')).toEqual(['ponta']);
    expect(windowPostos('branca')).toEqual(['ponta', 'intermediario']);
  });

  it('offers the 97 quarter hours from 00:00 to 24:00', () => {
    expect(QUARTER_HOURS).toHaveLength(97);
    expect(QUARTER_HOURS.slice(69, 71)).toEqual(['17:15', '17:30']);
    expect(QUARTER_HOURS[96]).toBe('24:00');
  });
});

describe('the reactive excess rate', () => {
  it('is sent only when entered, beside the energy rates', () => {
    const base = { ...blankTariffForm('2026-11-01'), name: 'Conv', modality: 'convencional' as const, energyForaPonta: 0.5 };
    expect(tariffBody(base).energy).toEqual({ foraPonta: 0.5 });
    expect(tariffBody({ ...base, energyReactiveExcess: 0.3 }).energy).toEqual({ foraPonta: 0.5, reactiveExcess: 0.3 });
  });
});
