import { parseLine, parseMeters } from './main';

describe('simulator command line', () => {
  it('parses meter lists, numbering meters without an address after the previous one', () => {
    expect(parseMeters(['pzem004t:1', 'sdm630:2', 'sdm120'])).toEqual([
      { model: 'pzem004t', slaveId: 1 },
      { model: 'sdm630', slaveId: 2 },
      { model: 'sdm120', slaveId: 3 },
    ]);
    expect(() => parseMeters(['abb:1'])).toThrow('unknown meter model "abb"');
    expect(() => parseMeters(['pzem004t:248'])).toThrow('must be 1..247');
  });

  it('refuses a baud rate or a framing it cannot read', () => {
    expect(() => parseLine('fast')).toThrow('--baud needs a baud rate such as 9600, got "fast"');
    expect(() => parseLine('9600', '9X1')).toThrow('--framing needs data bits, parity and stop bits');
  });
});
