import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { ALARM_OPERATORS, AlarmOperator, METRICS } from '@pieng/shared';
import { AlarmCountService } from '../../core/alarm-count.service';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import { interval } from 'rxjs';
import { formError } from '../../shared/api-error';

type Rule = ApiResponse<'listAlarmRules'>[number];
type AlarmEvent = ApiResponse<'listAlarmEvents'>[number];

@Component({
  selector: 'pm-alarms-page',
  imports: [ReactiveFormsModule, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './alarms.page.html',
  styles: `
    .rule-form { display: flex; flex-direction: column; gap: 0.75rem; }
    td.actions { white-space: nowrap; }
    td.actions button { margin-right: 0.3rem; }
  `,
})
export class AlarmsPage {
  private readonly api = inject(PiengApi);
  private readonly alarmCount = inject(AlarmCountService);
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly operators = ALARM_OPERATORS;
  protected readonly metricNames = Object.keys(METRICS);

  /** `?clientId=` from the overview's alarm link. */
  readonly clientId = input<string>();
  protected readonly clients = toSignal(this.api.listClients(), { initialValue: [] });
  protected readonly devices = toSignal(this.api.listDevices(), { initialValue: [] });
  protected readonly rules = signal<Rule[]>([]);
  protected readonly events = signal<AlarmEvent[]>([]);
  protected readonly editing = signal<Rule | null>(null);
  protected readonly ruleError = signal<string | null>(null);

  // Event filters
  protected readonly filterClient = signal<number | null>(null);
  protected readonly filterDevice = signal<number | null>(null);
  protected readonly onlyActive = signal(false);
  protected readonly onlyUnacked = signal(false);

  protected readonly ruleForm = inject(FormBuilder).nonNullable.group({
    clientId: [0, [Validators.required, Validators.min(1)]],
    deviceId: [null as number | null],
    name: ['', Validators.required],
    metric: ['voltage', Validators.required],
    operator: ['>' as AlarmOperator],
    threshold: [0, Validators.required],
    enabled: [true],
  });
  private readonly ruleClient = toSignal(this.ruleForm.controls.clientId.valueChanges, { initialValue: 0 });
  protected readonly ruleDevices = computed(() => this.devices().filter((d) => d.clientId === this.ruleClient()));
  protected readonly filterDevices = computed(() => (this.filterClient() ? this.devices().filter((d) => d.clientId === this.filterClient()) : this.devices()));

  constructor() {
    effect(() => {
      const id = Number(this.clientId());
      if (id) this.filterClient.set(id);
    });
    effect(() => {
      const clients = this.clients();
      if (clients.length && !this.ruleForm.controls.clientId.value) this.ruleForm.controls.clientId.setValue(Number(this.clientId()) || clients[0].id);
    });
    effect(() => this.loadEvents(this.filterClient(), this.filterDevice(), this.onlyActive(), this.onlyUnacked()));
    this.loadRules();
    // New events arrive while the page is open: look again every 10 s, like the header's badge.
    interval(10_000)
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.loadEvents(this.filterClient(), this.filterDevice(), this.onlyActive(), this.onlyUnacked()));
  }

  protected deviceName(id: number | null): string {
    if (id === null) return this.t('alarms.anyDevice');
    return this.devices().find((d) => d.id === id)?.name ?? `#${id}`;
  }

  protected clientName(id: number): string {
    return this.clients().find((c) => c.id === id)?.name ?? `#${id}`;
  }

  protected edit(rule: Rule): void {
    this.editing.set(rule);
    this.ruleForm.setValue({ clientId: rule.clientId, deviceId: rule.deviceId, name: rule.name, metric: rule.metric, operator: rule.operator, threshold: rule.threshold, enabled: rule.enabled });
  }

  protected cancelEdit(): void {
    this.editing.set(null);
    this.ruleForm.reset({ clientId: this.ruleForm.controls.clientId.value });
  }

  protected saveRule(): void {
    if (this.ruleForm.invalid) {
      this.ruleForm.markAllAsTouched();
      return;
    }
    const v = this.ruleForm.getRawValue();
    const editing = this.editing();
    const request = editing
      ? this.api.updateAlarmRule({ path: { id: editing.id }, body: { deviceId: v.deviceId, name: v.name, metric: v.metric, operator: v.operator, threshold: v.threshold, enabled: v.enabled } })
      : this.api.createAlarmRule({ body: { ...v } });
    request.subscribe({
      next: () => {
        this.ruleError.set(null);
        this.cancelEdit();
        this.loadRules();
      },
      error: (e: unknown) => this.ruleError.set(formError(e)?.message ?? null),
    });
  }

  protected toggle(rule: Rule): void {
    this.api.updateAlarmRule({ path: { id: rule.id }, body: { enabled: !rule.enabled } }).subscribe(() => this.loadRules());
  }

  protected remove(rule: Rule): void {
    this.api.deleteAlarmRule({ path: { id: rule.id } }).subscribe(() => this.loadRules());
  }

  protected acknowledge(event: AlarmEvent): void {
    this.api.acknowledgeAlarmEvent({ path: { id: event.id } }).subscribe(() => {
      this.loadEvents(this.filterClient(), this.filterDevice(), this.onlyActive(), this.onlyUnacked());
      this.alarmCount.refresh();
    });
  }

  protected numberOrNull(value: string): number | null {
    return value ? Number(value) : null;
  }

  protected metricLabel(metric: string): string {
    return (METRICS as Record<string, { label: string } | undefined>)[metric]?.label ?? metric;
  }

  private loadRules(): void {
    this.api.listAlarmRules().subscribe((rules) => this.rules.set(rules));
  }

  private loadEvents(clientId: number | null, deviceId: number | null, active: boolean, unacked: boolean): void {
    this.api
      .listAlarmEvents({ query: { clientId: clientId ?? undefined, deviceId: deviceId ?? undefined, active: active ? true : undefined, acknowledged: unacked ? false : undefined, limit: 200 } })
      .subscribe((events) => this.events.set(events));
  }
}
