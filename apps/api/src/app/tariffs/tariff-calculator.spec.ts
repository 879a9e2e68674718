import { TariffCalculator } from './tariff-calculator';
import { problemsOf, TariffTerms } from './tariff-terms';

const SP = 'America/Sao_Paulo';
const HOUR = 3_600_000;
const QUARTER = 900_000;
// São Paulo keeps UTC−3 all year (no daylight saving since 2019): local midnight is 03:00 UTC.
const localMidnight = (date: string) => Date.parse(`${date}T03:00:00Z`);
/** A steady 1 kWh per hour over a local day: 96 quarters of 0.25 kWh. */
const steadyDay = (date: string) => Array.from({ length: 96 }, (_, i) => ({ start: localMidnight(date) + i * QUARTER, kWh: 0.25 }));

const WEDNESDAY = '2026-11-25';
const SATURDAY = '2026-11-28';

/** The tarifa branca: ponta 17-20, intermediário 16-17 and 20-21 on weekdays, 0.50 / 0.80 / 1.20 R$/kWh, no taxes. */
const branca: TariffTerms = {
  modality: 'branca',
  validFrom: '2026-01-01',
  energy: { foraPonta: 0.5, intermediario: 0.8, ponta: 1.2 },
  demand: { foraPonta: 0 },
  windows: [
    { posto: 'intermediario', days: 'weekdays', start: '16:00', end: '17:00' },
    { posto: 'ponta', days: 'weekdays', start: '17:00', end: '20:00' },
    { posto: 'intermediario', days: 'weekdays', start: '20:00', end: '21:00' },
  ],
  holidays: 'BR',
  taxes: { icms: 0, pis: 0, cofins: 0 },
};

describe('TariffCalculator: energy', () => {
  it("holds the issue's worked example: a Wednesday of tarifa branca is 19 / 2 / 3 kWh and R$ 14.70", () => {
    const priced = new TariffCalculator([branca], [], SP).price(steadyDay(WEDNESDAY));
    // Fora de ponta 00-16 and 21-24 = 19 h, intermediário 16-17 and 20-21 = 2 h, ponta 17-20 = 3 h, at 1 kWh per hour.
    expect(priced.byPosto.foraPonta.kWh).toBeCloseTo(19, 10);
    expect(priced.byPosto.intermediario.kWh).toBeCloseTo(2, 10);
    expect(priced.byPosto.ponta.kWh).toBeCloseTo(3, 10);
    // 19 × 0.50 + 2 × 0.80 + 3 × 1.20 = 9.50 + 1.60 + 3.60 = 14.70
    expect(priced.byPosto.foraPonta.cost).toBeCloseTo(9.5, 10);
    expect(priced.byPosto.intermediario.cost).toBeCloseTo(1.6, 10);
    expect(priced.byPosto.ponta.cost).toBeCloseTo(3.6, 10);
    expect(priced.cost).toBeCloseTo(14.7, 10);
    expect(priced.unpricedKWh).toBe(0);
  });

  it('prices a Saturday all fora de ponta: R$ 12.00', () => {
    // 24 kWh × 0.50 = 12.00
    const priced = new TariffCalculator([branca], [], SP).price(steadyDay(SATURDAY));
    expect(priced.byPosto.foraPonta.kWh).toBeCloseTo(24, 10);
    expect(priced.cost).toBeCloseTo(12, 10);
  });

  it('adds bandeira amarela (R$ 1.885 per 100 kWh): the Wednesday costs R$ 15.1524', () => {
    // 14.70 + 24 kWh × 1.885 / 100 = 14.70 + 0.4524 = 15.1524
    const priced = new TariffCalculator([branca], [{ month: '2026-11', flag: 'amarela', adderPer100kWh: 1.885 }], SP).price(steadyDay(WEDNESDAY));
    expect(priced.cost).toBeCloseTo(15.1524, 10);
  });

  it("takes the bandeira of the quarter's local month, not its UTC month", () => {
    // 2026-12-01T02:00Z is 30 November 23:00 in São Paulo (a Monday, fora de ponta): November's vermelha2 applies, not December's verde.
    const calc = new TariffCalculator([branca], [{ month: '2026-11', flag: 'vermelha2', adderPer100kWh: 7.877 }], SP);
    const [q] = calc.price([{ start: Date.parse('2026-12-01T02:00:00Z'), kWh: 1 }]).quarters;
    // 1 kWh × (0.50 + 7.877 / 100) = 0.57877
    expect(q.cost).toBeCloseTo(0.57877, 10);
    // 03:00Z is local midnight of 1 December: verde (no row), 0.50.
    expect(calc.price([{ start: Date.parse('2026-12-01T03:00:00Z'), kWh: 1 }]).cost).toBeCloseTo(0.5, 10);
  });

  it('reads the windows in local time: 17:00 in São Paulo is 20:00 UTC', () => {
    const calc = new TariffCalculator([branca], [], SP);
    expect(calc.postoAt(Date.parse('2026-11-25T19:45:00Z'))).toBe('intermediario'); // 16:45 local
    expect(calc.postoAt(Date.parse('2026-11-25T20:00:00Z'))).toBe('ponta'); // 17:00 local
    expect(calc.postoAt(Date.parse('2026-11-25T22:45:00Z'))).toBe('ponta'); // 19:45 local
    expect(calc.postoAt(Date.parse('2026-11-25T23:00:00Z'))).toBe('intermediario'); // 20:00 local
    expect(calc.postoAt(Date.parse('2026-11-26T00:00:00Z'))).toBe('foraPonta'); // 21:00 local
  });

  it('prices Enel SP half-hour windows (verde, ponta 17:30-20:30): R$ 14.40 for the Wednesday', () => {
    const enel: TariffTerms = {
      ...branca,
      modality: 'verde',
      energy: { foraPonta: 0.4, ponta: 2 },
      windows: [{ posto: 'ponta', days: 'weekdays', start: '17:30', end: '20:30' }],
    };
    const calc = new TariffCalculator([enel], [], SP);
    expect(calc.postoAt(localMidnight(WEDNESDAY) + 17 * HOUR + QUARTER)).toBe('foraPonta'); // 17:15
    expect(calc.postoAt(localMidnight(WEDNESDAY) + 17.5 * HOUR)).toBe('ponta'); // 17:30
    expect(calc.postoAt(localMidnight(WEDNESDAY) + 20 * HOUR + QUARTER)).toBe('ponta'); // 20:15
    expect(calc.postoAt(localMidnight(WEDNESDAY) + 20.5 * HOUR)).toBe('foraPonta'); // 20:30
    const priced = calc.price(steadyDay(WEDNESDAY));
    // Ponta 17:30-20:30 = 3 kWh, the other 21 kWh fora de ponta: 21 × 0.40 + 3 × 2.00 = 8.40 + 6.00 = 14.40
    expect(priced.byPosto.ponta.kWh).toBeCloseTo(3, 10);
    expect(priced.byPosto.intermediario.kWh).toBe(0);
    expect(priced.cost).toBeCloseTo(14.4, 10);
  });

  it('has no intermediário or ponta in convencional: one rate all day', () => {
    const convencional: TariffTerms = { ...branca, modality: 'convencional', energy: { foraPonta: 0.75 }, windows: [] };
    // 24 kWh × 0.75 = 18.00
    expect(new TariffCalculator([convencional], [], SP).price(steadyDay(WEDNESDAY)).cost).toBeCloseTo(18, 10);
  });

  it('keeps a national holiday on a weekday fora de ponta (Friday 20 November, Consciência Negra): R$ 12.00', () => {
    const calc = new TariffCalculator([branca], [], SP);
    // 24 kWh × 0.50 = 12.00, as on a Saturday
    expect(calc.price(steadyDay('2026-11-20')).cost).toBeCloseTo(12, 10);
    // The Thursday before is a working day: 14.70 as the Wednesday.
    expect(calc.price(steadyDay('2026-11-19')).cost).toBeCloseTo(14.7, 10);
  });

  it('takes a list of dates as the holidays instead of the national calendar', () => {
    const own = new TariffCalculator([{ ...branca, holidays: [WEDNESDAY] }], [], SP);
    expect(own.price(steadyDay(WEDNESDAY)).cost).toBeCloseTo(12, 10);
    // ... and then 20 November is a working day: 14.70.
    expect(own.price(steadyDay('2026-11-20')).cost).toBeCloseTo(14.7, 10);
  });

  it('charges taxes por dentro, on the bandeira adder as on the energy', () => {
    const taxed = new TariffCalculator(
      [{ ...branca, taxes: { icms: 0.17, pis: 0.01, cofins: 0.02 } }],
      [{ month: '2026-11', flag: 'amarela', adderPer100kWh: 1.885 }],
      SP,
    );
    // Taxes add up to 0.20: price = tariff / 0.80. Saturday: (24 × 0.50 + 24 × 0.01885) / 0.80 = (12 + 0.4524) / 0.80 = 15.5655
    expect(taxed.price(steadyDay(SATURDAY)).cost).toBeCloseTo(15.5655, 10);
    // Wednesday: 15.1524 / 0.80 = 18.9405
    expect(taxed.price(steadyDay(WEDNESDAY)).cost).toBeCloseTo(18.9405, 10);
    // A usual São Paulo bill: ICMS 18 %, PIS 1.65 %, COFINS 7.6 %, together 0.2725; 1 kWh at 0.50 is 0.50 / 0.7275 = 0.687285...
    const usual = new TariffCalculator([{ ...branca, taxes: { icms: 0.18, pis: 0.0165, cofins: 0.076 } }], [], SP);
    expect(usual.price([{ start: localMidnight(SATURDAY), kWh: 1 }]).cost).toBeCloseTo(0.687285, 6);
  });

  it('prices each day by the version in force on it, and leaves energy before the first version unpriced', () => {
    const dearer: TariffTerms = { ...branca, validFrom: '2026-11-26', energy: { foraPonta: 1, intermediario: 1.6, ponta: 2.4 } };
    // Given in any order: the calculator sorts them.
    const calc = new TariffCalculator([dearer, { ...branca, validFrom: '2026-11-25' }], [], SP);
    expect(calc.price(steadyDay(WEDNESDAY)).cost).toBeCloseTo(14.7, 10);
    // Thursday 26 November at double rates: 2 × 14.70 = 29.40
    expect(calc.price(steadyDay('2026-11-26')).cost).toBeCloseTo(29.4, 10);
    // Tuesday 24 November: no version yet.
    const before = calc.price(steadyDay('2026-11-24'));
    expect(before.cost).toBe(0);
    expect(before.unpricedKWh).toBeCloseTo(24, 10);
    expect(before.quarters[0].cost).toBeNull();
    expect(calc.termsAt(localMidnight('2026-11-24'))).toBeNull();
    // The version changes at local midnight, 03:00 UTC: 02:45 UTC on the 26th is still the Wednesday.
    expect(calc.termsAt(Date.parse('2026-11-26T02:45:00Z'))?.validFrom).toBe('2026-11-25');
    expect(calc.termsAt(Date.parse('2026-11-26T03:00:00Z'))?.validFrom).toBe('2026-11-26');
  });
});

describe('TariffCalculator: demand (group A)', () => {
  const azul: TariffTerms = {
    ...branca,
    modality: 'azul',
    energy: { foraPonta: 0.4, ponta: 2 },
    demand: { foraPonta: 20, ponta: 50 },
    windows: [{ posto: 'ponta', days: 'weekdays', start: '18:00', end: '21:00' }],
  };

  it('bills max(measured, contracted) per posto and charges an overrun past 5 % at twice the rate, over the contracted demand', () => {
    const charge = new TariffCalculator([azul], [], SP).demandCharge({
      peakByPosto: { foraPonta: 104, ponta: 60 },
      contractedKW: { foraPonta: 100, ponta: 50 },
    });
    // Fora de ponta: 104 kW ≤ 1.05 × 100 = 105: billed 104 × 20 = 2,080, no overrun.
    expect(charge?.lines[0]).toEqual({ posto: 'foraPonta', measuredKW: 104, contractedKW: 100, billedKW: 104, cost: 2080, overrunKW: 0, overrunCost: 0 });
    // Ponta: 60 kW > 1.05 × 50 = 52.5: billed 60 × 50 = 3,000, and (60 − 50) × 2 × 50 = 1,000 of ultrapassagem.
    expect(charge?.lines[1]).toEqual({ posto: 'ponta', measuredKW: 60, contractedKW: 50, billedKW: 60, cost: 3000, overrunKW: 10, overrunCost: 1000 });
    // 2,080 + 3,000 + 1,000 = 6,080
    expect(charge?.cost).toBe(6080);
  });

  it('bills the contracted demand when less was measured', () => {
    const charge = new TariffCalculator([azul], [], SP).demandCharge({
      peakByPosto: { foraPonta: 80, ponta: 30 },
      contractedKW: { foraPonta: 100, ponta: 50 },
    });
    // 100 × 20 + 50 × 50 = 2,000 + 2,500 = 4,500
    expect(charge?.cost).toBe(4500);
  });

  it('bills verde one demand, the highest of the period, at the fora de ponta rate against the fora de ponta contract', () => {
    const verde: TariffTerms = { ...azul, modality: 'verde', demand: { foraPonta: 20 } };
    const charge = new TariffCalculator([verde], [], SP).demandCharge({
      peakByPosto: { foraPonta: 90, ponta: 110 },
      contractedKW: { foraPonta: 100, ponta: null },
    });
    // Peak 110 kW > 105: billed 110 × 20 = 2,200, overrun (110 − 100) × 2 × 20 = 400; 2,600 in all.
    expect(charge?.lines).toHaveLength(1);
    expect(charge?.lines[0]).toMatchObject({ posto: 'foraPonta', billedKW: 110, overrunKW: 10 });
    expect(charge?.cost).toBe(2600);
  });

  it('charges taxes por dentro on demand, and none for branca', () => {
    const taxed = new TariffCalculator([{ ...azul, taxes: { icms: 0.17, pis: 0.01, cofins: 0.02 } }], [], SP);
    // 4,500 / 0.80 = 5,625
    expect(taxed.demandCharge({ peakByPosto: { foraPonta: 80, ponta: 30 }, contractedKW: { foraPonta: 100, ponta: 50 } })?.cost).toBeCloseTo(5625, 9);
    expect(
      new TariffCalculator([branca], [], SP).demandCharge({ peakByPosto: { foraPonta: 5, ponta: 5 }, contractedKW: { foraPonta: null, ponta: null } }),
    ).toEqual({ lines: [], cost: 0 });
    expect(
      new TariffCalculator([], [], SP).demandCharge({ peakByPosto: { foraPonta: 5, ponta: 5 }, contractedKW: { foraPonta: null, ponta: null } }),
    ).toBeNull();
  });
});

describe('tariff terms: what cannot be priced', () => {
  const fields = (t: Partial<TariffTerms>) => problemsOf({ ...branca, ...t }).map((p) => p.field);

  it('accepts the worked example', () => {
    expect(problemsOf(branca)).toEqual([]);
  });

  it('refuses windows off the quarter hour, outside the day, reversed or overlapping', () => {
    expect(fields({ windows: [{ posto: 'ponta', days: 'weekdays', start: '17:10', end: '20:00' }] })).toEqual(['windows[0].start']);
    expect(fields({ windows: [{ posto: 'ponta', days: 'weekdays', start: '17:00', end: '24:15' }] })).toEqual(['windows[0].end']);
    expect(fields({ windows: [{ posto: 'ponta', days: 'weekdays', start: '20:00', end: '17:00' }] })).toEqual(['windows[0].end']);
    expect(fields({ windows: [{ posto: 'ponta', days: 'weekdays', start: '21:00', end: '24:00' }] })).toEqual([]);
    expect(
      fields({
        windows: [
          { posto: 'ponta', days: 'weekdays', start: '17:00', end: '20:00' },
          { posto: 'intermediario', days: 'weekdays', start: '19:45', end: '21:00' },
        ],
      }),
    ).toEqual(['windows[1]']);
  });

  it('refuses a posto the modality does not have, a missing rate and taxes of 100 % or more', () => {
    expect(fields({ modality: 'verde' })).toEqual(['windows[0].posto', 'windows[2].posto']);
    expect(fields({ energy: { foraPonta: 0.5, ponta: 1.2 } })).toEqual(['energy.intermediario']);
    expect(fields({ modality: 'azul', windows: [], demand: { foraPonta: 10 } })).toEqual(['demand.ponta']);
    expect(fields({ taxes: { icms: 0.5, pis: 0.25, cofins: 0.25 } })).toEqual(['taxes']);
  });
});

describe('TariffCalculator: daylight saving', () => {
  it('reads windows in local time on both sides of a change of offset within a UTC day', () => {
    // New York went from UTC−4 to UTC−5 at 06:00 UTC on Sunday 1 November 2026; Monday 2 November is a working day.
    const ny = new TariffCalculator([{ ...branca, holidays: [] }], [], 'America/New_York');
    // Saturday 31 October 17:00 local is 21:00 UTC (UTC−4): ponta... but a Saturday, so fora de ponta.
    expect(ny.postoAt(Date.parse('2026-10-31T21:00:00Z'))).toBe('foraPonta');
    // Friday 30 October 17:00 local (UTC−4) is 21:00 UTC: ponta.
    expect(ny.postoAt(Date.parse('2026-10-30T21:00:00Z'))).toBe('ponta');
    // Monday 2 November 17:00 local (UTC−5) is 22:00 UTC: ponta; 21:00 UTC is 16:00 local: intermediário.
    expect(ny.postoAt(Date.parse('2026-11-02T22:00:00Z'))).toBe('ponta');
    expect(ny.postoAt(Date.parse('2026-11-02T21:00:00Z'))).toBe('intermediario');
    // On the day of the change: 05:45 UTC is 01:45 EDT, 06:00 UTC is 01:00 EST; both on local Sunday 1 November.
    expect(ny.termsAt(Date.parse('2026-11-01T05:45:00Z'))?.validFrom).toBe('2026-01-01');
    const sunday = ny.price([
      { start: Date.parse('2026-11-01T05:45:00Z'), kWh: 1 },
      { start: Date.parse('2026-11-01T06:00:00Z'), kWh: 1 },
    ]);
    expect(sunday.quarters.map((q) => q.posto)).toEqual(['foraPonta', 'foraPonta']);
  });

  it('changes version at local midnight on the day of a change of offset and the day after', () => {
    const versions = [branca, { ...branca, validFrom: '2026-11-01' }, { ...branca, validFrom: '2026-11-02' }];
    const ny = new TariffCalculator(versions, [], 'America/New_York');
    // 1 November starts at 04:00 UTC (EDT, UTC−4); the offset changes at 06:00 UTC the same UTC day.
    expect(ny.termsAt(Date.parse('2026-11-01T03:45:00Z'))?.validFrom).toBe('2026-01-01');
    expect(ny.termsAt(Date.parse('2026-11-01T04:00:00Z'))?.validFrom).toBe('2026-11-01');
    // 2 November starts at 05:00 UTC (EST, UTC−5).
    expect(ny.termsAt(Date.parse('2026-11-02T04:45:00Z'))?.validFrom).toBe('2026-11-01');
    expect(ny.termsAt(Date.parse('2026-11-02T05:00:00Z'))?.validFrom).toBe('2026-11-02');
  });
});
