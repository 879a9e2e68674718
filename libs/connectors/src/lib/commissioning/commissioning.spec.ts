import { blockDecodings, rankLayouts } from './layout-detection';
import { ScanProgress, describeScanEstimate, foundFrom, runLineScan, scanWorstCaseMs, type ProbeOutcome } from './line-scan';

/*
 * A meter serving (worked out by hand from IEEE-754 and the byte orders of register-codec.ts):
 * - voltage 230.5 V as float32 CDAB: 230.5 = 0x43668000, low word first -> words [0x8000, 0x4366];
 * - frequency 50 Hz as float32 CDAB: 50 = 0x42480000 -> words [0x0000, 0x4248];
 * - energy 123456 Wh as int32 BADC: 123456 = 0x0001E240, bytes swapped in each word -> [0x0100, 0x40E2].
 * A 4-register read at the voltage reads the frequency too (float64 candidates), the energy block has 2 words.
 */
const VOLTAGE = [0x8000, 0x4366, 0x0000, 0x4248];
const FREQUENCY = [0x0000, 0x4248, 0x0000, 0x0000];
const ENERGY = [0x0100, 0x40e2];

describe('layout detection', () => {
  it('decodes each type and order once (16-bit types: ABCD and BADC only) at four scales', () => {
    // 16-bit: 2 types x 2 orders; 32-bit: 3 types x 4 orders; float64: 4 orders; x 4 scales.
    expect(blockDecodings(VOLTAGE).length).toBe((2 * 2 + 3 * 4 + 4) * 4);
    expect(blockDecodings(ENERGY).length).toBe((2 * 2 + 3 * 4) * 4);
    expect(blockDecodings(VOLTAGE).find((c) => c.type === 'float32' && c.order === 'CDAB' && c.scale === 1)?.value).toBe(230.5);
  });

  /*
   * In range (voltage 80-300, frequency 45-65, energy as the installer narrowed it, 100000-200000 Wh):
   * voltage: float32 CDAB x1 = 230.5; int16/uint16 BADC of 0x8000 = 0x0080 = 128 (x1). Nothing else:
   *   uint16 0x8000 = 32768 x0.01 = 327.68 > 300; int32 BADC 0x00806643 = 8414787 x0.001 = 8414.8; floats tiny or huge.
   * frequency: float32 CDAB x1 = 50 only (int32 ABCD 0x4248 = 16968 x0.01 = 169.68, BADC 18498 x0.001 = 18.5: out).
   * energy: int32/uint32 BADC x1 = 123456; int32/uint32 ABCD 0x010040E2 = 16793826 (0x0100 x 65536 + 0x40E2 = 16777216 + 16610) x0.01 = 167938.26.
   * Layout votes: float32/CDAB fits voltage and frequency (2); int16/BADC, uint16/BADC fit voltage (1);
   * int32/BADC, uint32/BADC, int32/ABCD, uint32/ABCD fit energy (1).
   */
  const ranges = [
    [80, 300],
    [45, 65],
    [100000, 200000],
  ] as const;
  const brief = (r: ReturnType<typeof rankLayouts>[number]) => r.candidates.map((c) => `${c.type} ${c.order} x${c.scale} = ${c.value}`);

  it('ranks by range, then layout votes, then smallest scaling, then type order', () => {
    const [voltage, frequency, energy] = rankLayouts(
      [
        { metric: 'voltage', words: VOLTAGE },
        { metric: 'frequency', words: FREQUENCY },
        { metric: 'energy', words: ENERGY },
      ],
      ranges,
    );
    expect(brief(voltage)).toEqual(['float32 CDAB x1 = 230.5', 'int16 BADC x1 = 128', 'uint16 BADC x1 = 128']);
    expect(voltage.candidates[0].layoutVotes).toBe(2);
    expect(brief(frequency)).toEqual(['float32 CDAB x1 = 50']);
    // Equal votes: scale 1 before 0.01, then int32 before uint32.
    expect(brief(energy)).toEqual(['int32 BADC x1 = 123456', 'uint32 BADC x1 = 123456', 'int32 ABCD x0.01 = 167938.26']);
  });

  it('lets a declared type break a tie, never outvote a layout that fits more registers', () => {
    const [voltage, , energy] = rankLayouts(
      [
        { metric: 'voltage', words: VOLTAGE, declaredType: 'uint16' },
        { metric: 'frequency', words: FREQUENCY },
        { metric: 'energy', words: ENERGY, declaredType: 'uint32' },
      ],
      ranges,
    );
    expect(brief(voltage)).toEqual(['float32 CDAB x1 = 230.5', 'uint16 BADC x1 = 128', 'int16 BADC x1 = 128']);
    expect(brief(energy)).toEqual(['uint32 BADC x1 = 123456', 'uint32 ABCD x0.01 = 167938.26', 'int32 BADC x1 = 123456']);
  });

  it('prefers float32 ABCD among equals', () => {
    // 230.5 in ABCD: [0x4366, 0x8000]. In range: float32 ABCD x1 = 230.5; int16/uint16 of 0x4366 = 17254 x0.01 = 172.54;
    // int16/uint16 BADC of 0x4366 = 0x6643 = 26179 x0.01 = 261.79. One vote each: scale 1 first, then int16 before uint16, ABCD before BADC.
    const [v] = rankLayouts([{ metric: 'voltage', words: [0x4366, 0x8000] }], [[80, 300]]);
    expect(brief(v)).toEqual(['float32 ABCD x1 = 230.5', 'int16 ABCD x0.01 = 172.54', 'int16 BADC x0.01 = 261.79']);
  });

  it('answers no candidate when nothing falls in range', () => {
    expect(rankLayouts([{ metric: 'frequency', words: [0xffff] }], [[45, 65]])[0].candidates).toEqual([]);
  });
});

describe('line scan', () => {
  it('counts an exception as a device, but not a gateway saying nobody is there', () => {
    expect(foundFrom(3, { answered: 'exception', exceptionCode: 2 }, 5)).toEqual({ id: 3, answered: 'exception', exceptionCode: 2, ms: 5 });
    expect(foundFrom(4, { answered: 'exception', exceptionCode: 0x0b }, 5)).toBeNull();
    expect(foundFrom(4, { answered: 'exception', exceptionCode: 0x0a }, 5)).toBeNull();
    expect(foundFrom(5, { answered: 'none' }, 5)).toBeNull();
  });

  it('estimates the worst case on the wire: 247 ids x (1000 ms + 8 bytes at 9600 8N1 + t3.5)', () => {
    // 8 x 1.0417 ms + 3.5 x 1.0417 ms = 11.98 ms per id on top of the timeout: 247 x 1011.98 = 249,959 ms.
    const serial = { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 } as const;
    expect(scanWorstCaseMs(247, 1000, serial)).toBeCloseTo(247 * (1000 + (11.5 * 10) / 9.6), 6);
    expect(describeScanEstimate(247, 1000, serial)).toBe(
      '247 ids × 1000 ms timeout plus 12.0 ms on the wire at 9600 8N1: at most 4 min 10 s when none answers',
    );
    expect(scanWorstCaseMs(10, 200, null)).toBe(2000);
  });

  it('estimates the time left from the mean time per id so far', () => {
    const p = new ScanProgress(10, 500);
    expect(p.snapshot().estimatedMsLeft).toBe(5000);
    p.record(1, { answered: 'registers' }, 20);
    p.record(2, { answered: 'none' }, 100);
    // 8 ids left x (120 ms / 2) = 480 ms.
    expect(p.snapshot()).toEqual({ scanned: 2, total: 10, found: [{ id: 1, answered: 'registers', ms: 20 }], estimatedMsLeft: 480 });
  });

  it('probes one id at a time and stops when cancelled', async () => {
    let inFlight = 0;
    let most = 0;
    const controller = new AbortController();
    const probed: number[] = [];
    const result = await runLineScan({
      from: 1,
      to: 20,
      worstPerIdMs: 10,
      signal: controller.signal,
      probe: async (id): Promise<ProbeOutcome> => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        probed.push(id);
        await new Promise((r) => setTimeout(r, 1));
        inFlight -= 1;
        if (id === 5) controller.abort();
        return id === 2 ? { answered: 'registers' } : { answered: 'none' };
      },
    });
    expect(most).toBe(1);
    expect(probed).toEqual([1, 2, 3, 4, 5]);
    expect(result.cancelled).toBe(true);
    expect(result.scanned).toBe(5);
    expect(result.found.map((f) => f.id)).toEqual([2]);
  });
});
