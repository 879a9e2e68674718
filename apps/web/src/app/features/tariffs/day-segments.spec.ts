import { daySegments, hhmmOf, minutesOf } from './day-segments';

describe('daySegments', () => {
  it("cuts the issue's tarifa branca day into five segments covering 0-1440", () => {
    const segments = daySegments([
      { posto: 'ponta', start: '17:00', end: '20:00' },
      { posto: 'intermediario', start: '20:00', end: '21:00' },
      { posto: 'intermediario', start: '16:00', end: '17:00' },
    ]);
    // 16:00 = 960, 17:00 = 1020, 20:00 = 1200, 21:00 = 1260 minutes
    expect(segments).toEqual([
      { posto: 'foraPonta', start: 0, end: 960 },
      { posto: 'intermediario', start: 960, end: 1020 },
      { posto: 'ponta', start: 1020, end: 1200 },
      { posto: 'intermediario', start: 1200, end: 1260 },
      { posto: 'foraPonta', start: 1260, end: 1440 },
    ]);
  });

  it('is one fora de ponta segment without windows (convencional)', () => {
    expect(daySegments([])).toEqual([{ posto: 'foraPonta', start: 0, end: 1440 }]);
  });

  it('draws a window on quarter hours up to 24:00 and one from midnight without an empty segment', () => {
    // Enel SP ponta 17:30-20:30: 1050-1230 minutes
    expect(daySegments([{ posto: 'ponta', start: '17:30', end: '20:30' }])).toEqual([
      { posto: 'foraPonta', start: 0, end: 1050 },
      { posto: 'ponta', start: 1050, end: 1230 },
      { posto: 'foraPonta', start: 1230, end: 1440 },
    ]);
    expect(
      daySegments([
        { posto: 'intermediario', start: '00:00', end: '06:00' },
        { posto: 'ponta', start: '21:45', end: '24:00' },
      ]),
    ).toEqual([
      { posto: 'intermediario', start: 0, end: 360 },
      { posto: 'foraPonta', start: 360, end: 1305 },
      { posto: 'ponta', start: 1305, end: 1440 },
    ]);
  });

  it('joins neighbours of one posto, skips windows being typed, and clips an overlap, still without gaps', () => {
    const segments = daySegments([
      { posto: 'ponta', start: '18:00', end: '19:00' },
      { posto: 'ponta', start: '17:00', end: '18:00' },
      { posto: 'intermediario', start: '18:30', end: '19:30' },
      { posto: 'ponta', start: '', end: '10:00' },
      { posto: 'ponta', start: '12:00', end: '11:00' },
    ]);
    expect(segments).toEqual([
      { posto: 'foraPonta', start: 0, end: 1020 },
      { posto: 'ponta', start: 1020, end: 1140 },
      { posto: 'intermediario', start: 1140, end: 1170 },
      { posto: 'foraPonta', start: 1170, end: 1440 },
    ]);
    for (let i = 1; i < segments.length; i++) expect(segments[i].start).toBe(segments[i - 1].end);
  });

  it('reads and writes HH:MM', () => {
    expect(minutesOf('24:00')).toBe(1440);
    expect(minutesOf('24:15')).toBeNaN();
    expect(minutesOf('7:00')).toBeNaN();
    expect(hhmmOf(1050)).toBe('17:30');
    expect(hhmmOf(1440)).toBe('24:00');
  });
});
