import { Injectable, computed, inject, signal } from '@angular/core';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { Subscription, catchError, of, switchMap, timer } from 'rxjs';

type AlarmCounts = ApiResponse<'getAlarmCounts'>;

/**
 * The alarm counter in the header of every page: active events nobody has acknowledged (shelved
 * ones excluded), and the acknowledged active ones apart. Refreshed every 15 s and after an acknowledgement.
 */
@Injectable({ providedIn: 'root' })
export class AlarmCountService {
  private readonly api = inject(PiengApi);
  private readonly counts = signal<AlarmCounts>({ activeUnacknowledged: 0, activeAcknowledged: 0, shelved: 0 });
  readonly unacknowledged = computed(() => this.counts().activeUnacknowledged);
  readonly acknowledged = computed(() => this.counts().activeAcknowledged);
  readonly active = computed(() => this.counts().activeUnacknowledged + this.counts().activeAcknowledged);
  private polling: Subscription | null = null;

  start(periodMs = 15000): void {
    this.polling ??= timer(0, periodMs)
      .pipe(switchMap(() => this.api.getAlarmCounts().pipe(catchError(() => of(null)))))
      .subscribe((counts) => {
        if (counts) this.counts.set(counts);
      });
  }

  refresh(): void {
    this.api.getAlarmCounts().subscribe({ next: (counts) => this.counts.set(counts), error: () => undefined });
  }

  stop(): void {
    this.polling?.unsubscribe();
    this.polling = null;
  }
}
