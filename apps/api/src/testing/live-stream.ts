import { request as httpRequest } from 'node:http';

export interface LiveReadingEvent {
  deviceId: number;
  ts: string;
  source: string;
  metrics: Record<string, number>;
}

export interface Stream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body of a refused stream (an error), or '' */
  body: string;
  readings: LiveReadingEvent[];
  ended: boolean;
  whenEnded: Promise<void>;
  close(): void;
}

/** Opens GET /api/live on a server (a test app or an API process) as a browser or a machine would, and collects its `reading` events. */
export function openStream(t: { url: string }, auth: { token?: string; key?: string }, query: Record<string, number> = {}, collect = true): Promise<Stream> {
  const url = new URL(t.url);
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (auth.token) headers['authorization'] = `Bearer ${auth.token}`;
  if (auth.key) headers['x-api-key'] = auth.key;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: `/api/live${qs ? `?${qs}` : ''}`, headers, agent: false }, (res) => {
      let buffer = '';
      let endedResolve: () => void = () => undefined;
      const stream: Stream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: '',
        readings: [],
        ended: false,
        whenEnded: new Promise<void>((r) => (endedResolve = r)),
        close: () => req.destroy(),
      };
      const end = () => {
        stream.ended = true;
        endedResolve();
      };
      res.on('close', end);
      res.on('end', end);
      res.on('error', end);
      res.setEncoding('utf8');
      if (stream.status !== 200) {
        res.on('data', (c: string) => (stream.body += c));
        res.on('end', () => resolve(stream));
        return;
      }
      res.on('data', (chunk: string) => {
        if (!collect) return;
        buffer += chunk;
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const block of blocks) {
          if (!/^event: reading$/m.test(block)) continue;
          const data = /^data: (.*)$/m.exec(block);
          if (data) stream.readings.push(JSON.parse(data[1]));
        }
      });
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}
