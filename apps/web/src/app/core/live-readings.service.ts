import { Injectable, inject } from '@angular/core';
import { Router } from '@angular/router';
import { API_BASE_URL, ApiQuery, LiveReading, apiUrl } from '@pieng/api-client';
import { Observable } from 'rxjs';
import { AuthService } from './auth.service';

/** One server-sent event as parsed from the stream. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Splits a text/event-stream into events. Returns the complete events and the unfinished tail to prepend to the
 * next chunk (a chunk may end anywhere, even inside a line).
 */
export function parseEventStream(buffer: string): { events: ServerSentEvent[]; rest: string } {
  const normalized = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: ServerSentEvent[] = [];
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // comment / keep-alive
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

export type LiveStatus = 'connecting' | 'open' | 'retrying';

/**
 * Live readings from GET /api/live. EventSource cannot send an Authorization header, so this reads the stream with
 * fetch and parses it; on a drop it reconnects after a pause (with a refreshed token when the old one expired).
 */
@Injectable({ providedIn: 'root' })
export class LiveReadingsService {
  private readonly auth = inject(AuthService);
  private readonly baseUrl = inject(API_BASE_URL);
  private readonly router = inject(Router);

  /** Readings as they arrive; `onStatus` tells the page whether the stream is up. Unsubscribing closes the stream. */
  readings(query: ApiQuery<'streamReadings'>, onStatus: (status: LiveStatus) => void = () => undefined, retryMs = 3000): Observable<LiveReading> {
    return new Observable<LiveReading>((subscriber) => {
      let controller: AbortController | null = null;
      let timer: ReturnType<typeof setTimeout> | null = null;
      let closed = false;

      const connect = async (): Promise<void> => {
        controller = new AbortController();
        onStatus('connecting');
        try {
          let token = this.auth.token();
          let response = await this.open(query, token, controller.signal);
          if (response.status === 401) {
            token = await new Promise<string | null>((resolve) => this.auth.refresh().subscribe({ next: resolve, error: () => resolve(null) }));
            if (!token) {
              this.auth.expire(this.router.url);
              return;
            }
            response = await this.open(query, token, controller.signal);
          }
          if (!response.ok || !response.body) throw new Error(`live stream answered ${response.status}`);
          onStatus('open');
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const parsed = parseEventStream(buffer + value);
            buffer = parsed.rest;
            for (const e of parsed.events) if (e.event === 'reading') subscriber.next(JSON.parse(e.data) as LiveReading);
          }
        } catch {
          // dropped connection or server error: retried below
        }
        if (!closed) {
          onStatus('retrying');
          timer = setTimeout(() => void connect(), retryMs);
        }
      };
      void connect();
      return () => {
        closed = true;
        if (timer) clearTimeout(timer);
        controller?.abort();
      };
    });
  }

  private open(query: ApiQuery<'streamReadings'>, token: string | null, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (token) headers['Authorization'] = `Bearer ${token}`;
    return fetch(apiUrl(this.baseUrl, 'streamReadings', { query }), { headers, signal });
  }
}
