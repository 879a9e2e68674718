import { Injectable } from '@nestjs/common';
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
export class LiveReadings {
  private readonly subject = new Subject<LiveReading>();
  readonly stream: Observable<LiveReading> = this.subject.asObservable();

  publish(readings: LiveReading[]): void {
    if (!this.subject.observed) return;
    for (const r of readings) this.subject.next(r);
  }
}
