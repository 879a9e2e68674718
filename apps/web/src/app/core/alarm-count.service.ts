import { Injectable, computed, inject, signal } from '@angular/core';
import { PiengApi } from '@pieng/api-client';
import { Subscription, catchError, of, switchMap, timer } from 'rxjs';

/** The number of active alarms shown in the header of every page; refreshed every 15 s and after an acknowledgement. */
@Injectable({ providedIn: 'root' })
export class AlarmCountService {
  private readonly api = inject(PiengApi);
  private readonly events = signal<{ active: boolean; acknowledged: boolean }[]>([]);
  readonly active = computed(() => this.events().filter((e) => e.active).length);
  readonly unacknowledged = computed(() => this.events().filter((e) => e.active && !e.acknowledged).length);
  private polling: Subscription | null = null;

  start(periodMs = 15000): void {
    this.polling ??= timer(0, periodMs)
      .pipe(switchMap(() => this.api.listAlarmEvents({ query: { active: true, limit: 500 } }).pipe(catchError(() => of(null)))))
      .subscribe((events) => {
        if (events) this.events.set(events);
      });
  }

  refresh(): void {
    this.api.listAlarmEvents({ query: { active: true, limit: 500 } }).subscribe({ next: (events) => this.events.set(events), error: () => undefined });
  }

  stop(): void {
    this.polling?.unsubscribe();
    this.polling = null;
  }
}
