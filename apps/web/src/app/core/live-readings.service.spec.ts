import { parseEventStream } from './live-readings.service';

describe('parseEventStream', () => {
  it('splits events, joins multi-line data, skips comments and keeps an unfinished tail', () => {
    const { events, rest } = parseEventStream(
      ': keep-alive\n\nevent: reading\ndata: {"deviceId":1,\ndata: "v":2}\n\nevent: reading\r\ndata: {"x":1}\r\n\r\nevent: read',
    );
    expect(events).toEqual([
      { event: 'reading', data: '{"deviceId":1,\n"v":2}' },
      { event: 'reading', data: '{"x":1}' },
    ]);
    expect(rest).toBe('event: read');
  });

  it('names events without an event field "message"', () => {
    expect(parseEventStream('data: hello\n\n').events).toEqual([{ event: 'message', data: 'hello' }]);
  });
});
