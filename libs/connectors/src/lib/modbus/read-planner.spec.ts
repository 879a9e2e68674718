import { createSdmDriver } from '../drivers/register-map.driver';
import { ReadPlanner, RegisterImage, type RegisterSpan } from './read-planner';

// A sparse map: FC3 0 (1 reg), 1..2 (uint32), 20..21 (float32), 40 (1 reg); FC4 0..1, 100..101, 200..203.
const SPARSE: RegisterSpan[] = [
  { function: 4, address: 200, quantity: 4 },
  { function: 3, address: 20, quantity: 2 },
  { function: 3, address: 0, quantity: 1 },
  { function: 4, address: 0, quantity: 2 },
  { function: 3, address: 1, quantity: 2 },
  { function: 3, address: 40, quantity: 1 },
  { function: 4, address: 100, quantity: 2 },
];

describe('ReadPlanner', () => {
  it('merges neighbours and splits at gaps larger than maxGap (default 10)', () => {
    // FC3: 0..2 merged; 20 is 17 registers after 3 (> 10); 40 is 18 after 22.
    expect(new ReadPlanner().plan(SPARSE)).toEqual([
      { function: 3, address: 0, quantity: 3 },
      { function: 3, address: 20, quantity: 2 },
      { function: 3, address: 40, quantity: 1 },
      { function: 4, address: 0, quantity: 2 },
      { function: 4, address: 100, quantity: 2 },
      { function: 4, address: 200, quantity: 4 },
    ]);
  });

  it('reads through gaps up to maxGap, never across function codes', () => {
    // gap 17 and 18 <= 20: FC3 becomes 0..40 = 41 registers; FC4 gaps are 98 and 98.
    expect(new ReadPlanner({ maxGap: 20 }).plan(SPARSE)).toEqual([
      { function: 3, address: 0, quantity: 41 },
      { function: 4, address: 0, quantity: 2 },
      { function: 4, address: 100, quantity: 2 },
      { function: 4, address: 200, quantity: 4 },
    ]);
  });

  it('merges a gap of exactly maxGap', () => {
    // 0..1 then 12..13: gap = 12 - 2 = 10
    const spans: RegisterSpan[] = [
      { function: 4, address: 0, quantity: 2 },
      { function: 4, address: 12, quantity: 2 },
    ];
    expect(new ReadPlanner({ maxGap: 10 }).plan(spans)).toEqual([{ function: 4, address: 0, quantity: 14 }]);
    expect(new ReadPlanner({ maxGap: 9 }).plan(spans)).toHaveLength(2);
  });

  it('respects maxRegistersPerRequest', () => {
    // 0..21 is 22 registers; adding 40 would make 41 > 25.
    expect(new ReadPlanner({ maxGap: 20, maxRegistersPerRequest: 25 }).plan(SPARSE).filter((r) => r.function === 3)).toEqual([
      { function: 3, address: 0, quantity: 22 },
      { function: 3, address: 40, quantity: 1 },
    ]);
    // 200 contiguous registers split into 125 + 75
    const contiguous: RegisterSpan[] = Array.from({ length: 100 }, (_, i) => ({ function: 4, address: i * 2, quantity: 2 }));
    expect(new ReadPlanner().plan(contiguous)).toEqual([
      { function: 4, address: 0, quantity: 124 }, // 125 would split a 2-register value
      { function: 4, address: 124, quantity: 76 },
    ]);
  });

  it('handles overlapping spans', () => {
    expect(
      new ReadPlanner().plan([
        { function: 3, address: 10, quantity: 4 },
        { function: 3, address: 11, quantity: 1 },
      ]),
    ).toEqual([{ function: 3, address: 10, quantity: 4 }]);
  });

  it('rejects impossible limits', () => {
    expect(() => new ReadPlanner({ maxRegistersPerRequest: 126 })).toThrow('maxRegistersPerRequest');
    expect(() => new ReadPlanner({ maxRegistersPerRequest: 1 }).plan([{ function: 3, address: 0, quantity: 2 }])).toThrow('does not fit');
  });

  it('plans Eastron meters in two even-aligned requests of at most 80 registers', () => {
    // 0x0000..0x004B = 76 registers (voltage .. export energy), then total energy at 0x0156.
    for (const model of ['sdm120', 'sdm630'] as const) {
      const requests = createSdmDriver(model).requests;
      expect(requests).toEqual([
        { function: 4, address: 0x0000, quantity: 76 },
        { function: 4, address: 0x0156, quantity: 2 },
      ]);
      requests.forEach((r) => {
        expect(r.address % 2).toBe(0);
        expect(r.quantity % 2).toBe(0);
        expect(r.quantity).toBeLessThanOrEqual(80);
      });
    }
  });
});

describe('RegisterImage', () => {
  it('maps replies back to addresses and refuses registers never read', () => {
    const image = RegisterImage.fromResponses([{ function: 3, address: 10, quantity: 3 }], [[7, 8, 9]]);
    expect(image.get(3, 11, 2)).toEqual([8, 9]);
    expect(() => image.get(4, 11, 1)).toThrow('was not read');
    expect(() => RegisterImage.fromResponses([{ function: 3, address: 0, quantity: 3 }], [[1]])).toThrow('short reply');
  });
});
