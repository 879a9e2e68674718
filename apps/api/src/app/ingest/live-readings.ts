import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';

export interface LiveReading {
  deviceId: number;
  clientId: number;
  ts: number;
  source: string;
  metrics: Record<string, number>;
}

/** Readings as they are committed, for live subscribers (server-sent events). */
@Injectable()
export class LiveReadings implements BeforeApplicationShutdown {
  private readonly subject = new Subject<LiveReading>();
  readonly stream: Observable<LiveReading> = this.subject.asObservable();

  /**
   * Live streams never end on their own, and the HTTP server waits for every open response
   * before it closes: ending them lets SIGTERM finish (the console reconnects on its own).
   */
  beforeApplicationShutdown(): void {
    this.subject.complete();
  }

  publish(readings: LiveReading[]): void {
    if (!this.subject.observed) return;
    for (const r of readings) this.subject.next(r);
  }
}
