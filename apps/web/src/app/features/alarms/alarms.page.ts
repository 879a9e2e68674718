import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { ALARM_OPERATORS, ALARM_RULE_TYPES, ALARM_SEVERITIES, AlarmOperator, AlarmRuleType, AlarmSeverity, isPlatformAlarmType, METRICS } from '@pieng/shared';
import { AlarmCountService } from '../../core/alarm-count.service';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';
import { interval } from 'rxjs';
import { formError } from '../../shared/api-error';

type Rule = ApiResponse<'listAlarmRules'>[number];
type AlarmEvent = ApiResponse<'listAlarmEvents'>[number];
type AlarmMetric = ApiResponse<'listAlarmMetrics'>[number];

/** "1, 2" -> [1, 2]; anything that is not a positive whole number is left for the API to refuse, naming the field. */
const parseIds = (text: string): number[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);

@Component({
  selector: 'pm-alarms-page',
  imports: [ReactiveFormsModule, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './alarms.page.html',
  styles: `
    .rule-form {
      display: flex;
      flex-direction: column;
      gap: 0.75rem;
    }
    td.actions {
      white-space: nowrap;
    }
    td.actions button {
      margin-right: 0.3rem;
    }
    .severity {
      display: inline-block;
      padding: 0.05rem 0.55rem;
      border-radius: 999px;
      font-size: 0.8rem;
      font-weight: 600;
    }
    .severity.critical {
      background: var(--danger);
      color: #fff;
    }
    .severity.major {
      background: var(--danger-soft);
      color: var(--danger);
    }
    .severity.minor {
      background: var(--warn-soft);
      color: var(--warn);
    }
    .severity.warning {
      background: var(--accent-soft);
      color: var(--accent);
    }
    .inline-form {
      display: flex;
      flex-wrap: wrap;
      gap: 0.4rem;
      align-items: flex-end;
      margin-top: 0.3rem;
    }
    .inline-form input {
      max-width: 12rem;
    }
    .counts {
      margin: 0 0 0.5rem;
    }
    @media (max-width: 480px) {
      td.actions {
        white-space: normal;
      }
      .inline-form input {
        max-width: 100%;
      }
    }
  `,
})
export class AlarmsPage {
  private readonly api = inject(PiengApi);
  private readonly window = inject(DOCUMENT).defaultView;
  protected readonly alarmCount = inject(AlarmCountService);
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly operators = ALARM_OPERATORS;
  /** Platform rules (disk space, backup, forwarding) are offered to platform staff only. */
  protected readonly types = computed(() => (this.auth.isStaff() ? ALARM_RULE_TYPES : ALARM_RULE_TYPES.filter((ty) => !isPlatformAlarmType(ty))));
  protected readonly severities = ALARM_SEVERITIES;

  /** `?clientId=` from the overview's alarm link. */
  readonly clientId = input<string>();
  protected readonly clients = toSignal(this.api.listClients(), { initialValue: [] });
  protected readonly devices = toSignal(this.api.listDevices(), { initialValue: [] });
  protected readonly rules = signal<Rule[]>([]);
  protected readonly events = signal<AlarmEvent[]>([]);
  protected readonly editing = signal<Rule | null>(null);
  protected readonly ruleError = signal<string | null>(null);
  protected readonly eventError = signal<string | null>(null);
  /** The metrics the chosen device (or the client's devices) report, then the known ones, with units. */
  protected readonly metrics = signal<AlarmMetric[]>([]);
  /** The event whose acknowledgement (comment) or shelving form is open. */
  protected readonly acking = signal<number | null>(null);
  protected readonly shelving = signal<number | null>(null);

  // Event filters
  protected readonly filterClient = signal<number | null>(null);
  protected readonly filterDevice = signal<number | null>(null);
  protected readonly onlyActive = signal(false);
  protected readonly onlyUnacked = signal(false);
  protected readonly showShelved = signal(false);

  private readonly fb = inject(FormBuilder).nonNullable;
  protected readonly ruleForm = this.fb.group({
    clientId: [0, [Validators.required, Validators.min(1)]],
    deviceId: [null as number | null],
    name: ['', Validators.required],
    type: ['threshold' as AlarmRuleType],
    metric: ['voltage'],
    operator: ['>' as AlarmOperator],
    threshold: [0],
    severity: ['major' as AlarmSeverity],
    deadband: [0, Validators.min(0)],
    onDelaySec: [0, Validators.min(0)],
    offDelaySec: [0, Validators.min(0)],
    latch: [false],
    reAlarmSec: [null as number | null, Validators.min(0)],
    staleAfterSec: [null as number | null, Validators.min(1)],
    channelIds: [''],
    escalationChannelId: [null as number | null],
    escalateAfterMin: [null as number | null, Validators.min(1)],
    enabled: [true],
  });
  protected readonly ackForm = this.fb.group({ comment: [''] });
  protected readonly shelveForm = this.fb.group({ hours: [8, [Validators.required, Validators.min(0.1)]], reason: ['', Validators.required] });

  private readonly ruleClient = toSignal(this.ruleForm.controls.clientId.valueChanges, { initialValue: 0 });
  private readonly ruleDevice = toSignal(this.ruleForm.controls.deviceId.valueChanges, { initialValue: null });
  protected readonly ruleType = toSignal(this.ruleForm.controls.type.valueChanges, { initialValue: 'threshold' as AlarmRuleType });
  /** A platform rule has no client, device, metric or operator; diskSpace and forwardingStuck have a threshold (MB free, minutes). */
  protected readonly platformType = computed(() => isPlatformAlarmType(this.ruleType()));
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
    effect(() => this.loadMetrics(this.ruleClient(), this.ruleDevice()));
    effect(() => this.loadEvents());
    this.loadRules();
    // New events arrive while the page is open: look again every 10 s, like the header's badge.
    interval(10_000)
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.loadEvents());
  }

  protected deviceName(id: number | null): string {
    if (id === null) return this.t('alarms.anyDevice');
    return this.devices().find((d) => d.id === id)?.name ?? `#${id}`;
  }

  protected clientName(id: number | null): string {
    if (id === null) return this.t('alarms.platform');
    return this.clients().find((c) => c.id === id)?.name ?? `#${id}`;
  }

  protected typeLabel(type: string): string {
    return this.t(`alarms.type.${type}` as MessageKey);
  }

  protected severityLabel(severity: string): string {
    return this.t(`alarms.severity.${severity}` as MessageKey);
  }

  /** "Voltage > 242 V", "No readings (offline) 300 s", ... */
  protected describe(rule: Rule): string {
    const unit = this.unitOf(rule.metric ?? '');
    switch (rule.type) {
      case 'offline':
        return `${this.typeLabel('offline')} ${rule.staleAfterSec ?? ''} s`;
      case 'counterReset':
        return `${this.metricLabel(rule.metric ?? '')}: ${this.typeLabel('counterReset')}`;
      case 'rateOfChange':
        return `Δ ${this.metricLabel(rule.metric ?? '')}/min ${rule.operator} ${this.i18n.number(rule.threshold, 3)} ${unit}`.trim();
      case 'diskSpace':
        return `${this.typeLabel('diskSpace')}: < ${this.i18n.number(rule.threshold, 0)} MB`;
      case 'forwardingStuck':
        return `${this.typeLabel('forwardingStuck')}: ≥ ${this.i18n.number(rule.threshold, 1)} min`;
      case 'backupFailed':
        return this.typeLabel('backupFailed');
      default:
        return `${this.metricLabel(rule.metric ?? '')} ${rule.operator} ${this.i18n.number(rule.threshold, 3)} ${unit}`.trim();
    }
  }

  protected edit(rule: Rule): void {
    this.editing.set(rule);
    this.ruleForm.setValue({
      clientId: rule.clientId ?? this.ruleForm.controls.clientId.value,
      deviceId: rule.deviceId,
      name: rule.name,
      type: rule.type,
      metric: rule.metric ?? '',
      operator: rule.operator,
      threshold: rule.threshold,
      severity: rule.severity,
      deadband: rule.deadband,
      onDelaySec: rule.onDelaySec,
      offDelaySec: rule.offDelaySec,
      latch: rule.latch,
      reAlarmSec: rule.reAlarmSec,
      staleAfterSec: rule.staleAfterSec,
      channelIds: rule.channelIds.join(', '),
      escalationChannelId: rule.escalationChannelId,
      escalateAfterMin: rule.escalateAfterMin,
      enabled: rule.enabled,
    });
  }

  protected cancelEdit(): void {
    this.editing.set(null);
    this.ruleForm.reset({ clientId: this.ruleForm.controls.clientId.value });
  }

  protected saveRule(): void {
    const v = this.ruleForm.getRawValue();
    const platform = isPlatformAlarmType(v.type);
    // A platform rule has no client: its client field does not count.
    if (Object.entries(this.ruleForm.controls).some(([name, c]) => c.invalid && !(platform && name === 'clientId'))) {
      this.ruleForm.markAllAsTouched();
      return;
    }
    const offline = v.type === 'offline';
    const compares = v.type === 'threshold' || v.type === 'rateOfChange';
    const body = {
      ...(!platform && { deviceId: v.deviceId }),
      name: v.name,
      type: v.type,
      ...(!offline && !platform && { metric: v.metric }),
      ...(compares && { operator: v.operator, threshold: Number(v.threshold) }),
      ...((v.type === 'diskSpace' || v.type === 'forwardingStuck') && { threshold: Number(v.threshold) }),
      ...(offline && { staleAfterSec: v.staleAfterSec }),
      severity: v.severity,
      deadband: Number(v.deadband),
      onDelaySec: Number(v.onDelaySec),
      offDelaySec: Number(v.offDelaySec),
      latch: v.latch,
      reAlarmSec: v.reAlarmSec === null ? null : Number(v.reAlarmSec),
      channelIds: parseIds(v.channelIds),
      escalationChannelId: v.escalationChannelId === null ? null : Number(v.escalationChannelId),
      escalateAfterMin: v.escalateAfterMin === null ? null : Number(v.escalateAfterMin),
      enabled: v.enabled,
    };
    const editing = this.editing();
    const request = editing
      ? this.api.updateAlarmRule({ path: { id: editing.id }, body })
      : this.api.createAlarmRule({ body: platform ? body : { clientId: v.clientId, ...body } });
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
    if (!this.window?.confirm(this.t('alarms.confirmDelete', { name: rule.name }))) return;
    this.api.deleteAlarmRule({ path: { id: rule.id } }).subscribe(() => {
      this.loadRules();
      this.loadEvents();
      this.alarmCount.refresh();
    });
  }

  protected startAck(event: AlarmEvent): void {
    this.shelving.set(null);
    this.ackForm.reset({ comment: '' });
    this.acking.set(event.id);
  }

  protected acknowledge(event: AlarmEvent): void {
    const comment = this.ackForm.getRawValue().comment.trim();
    this.api.acknowledgeAlarmEvent({ path: { id: event.id }, body: comment ? { comment } : {} }).subscribe({
      next: () => this.afterEventChange(),
      error: (e: unknown) => this.eventError.set(formError(e)?.message ?? null),
    });
  }

  protected startShelve(event: AlarmEvent): void {
    this.acking.set(null);
    this.shelveForm.reset({ hours: 8, reason: '' });
    this.shelving.set(event.id);
  }

  protected shelve(event: AlarmEvent): void {
    if (this.shelveForm.invalid) {
      this.shelveForm.markAllAsTouched();
      return;
    }
    const v = this.shelveForm.getRawValue();
    const until = new Date(Date.now() + Number(v.hours) * 3_600_000).toISOString();
    this.api.shelveAlarmEvent({ path: { id: event.id }, body: { until, reason: v.reason } }).subscribe({
      next: () => this.afterEventChange(),
      error: (e: unknown) => this.eventError.set(formError(e)?.message ?? null),
    });
  }

  protected unshelve(event: AlarmEvent): void {
    this.api.unshelveAlarmEvent({ path: { id: event.id } }).subscribe(() => this.afterEventChange());
  }

  protected numberOrNull(value: string): number | null {
    return value ? Number(value) : null;
  }

  protected metricLabel(metric: string): string {
    return (METRICS as Record<string, { label: string } | undefined>)[metric]?.label ?? metric;
  }

  protected unitOf(metric: string): string {
    return this.metrics().find((m) => m.metric === metric)?.unit ?? (METRICS as Record<string, { unit: string } | undefined>)[metric]?.unit ?? '';
  }

  /** The event's value with its unit: "245.5 V", "3600 s" (offline). */
  protected valueWithUnit(e: AlarmEvent): string {
    return `${this.i18n.number(e.value, 3)}${e.unit ? ' ' + e.unit : ''}`;
  }

  private afterEventChange(): void {
    this.eventError.set(null);
    this.acking.set(null);
    this.shelving.set(null);
    this.loadEvents();
    this.alarmCount.refresh();
  }

  private loadRules(): void {
    this.api.listAlarmRules().subscribe((rules) => this.rules.set(rules));
  }

  private loadMetrics(clientId: number, deviceId: number | null): void {
    if (!clientId) return;
    this.api
      .listAlarmMetrics({ query: deviceId ? { deviceId } : { clientId } })
      .subscribe({ next: (metrics) => this.metrics.set(metrics), error: () => undefined });
  }

  private loadEvents(): void {
    const clientId = this.filterClient();
    const deviceId = this.filterDevice();
    this.api
      .listAlarmEvents({
        query: {
          clientId: clientId ?? undefined,
          deviceId: deviceId ?? undefined,
          active: this.onlyActive() ? true : undefined,
          acknowledged: this.onlyUnacked() ? false : undefined,
          includeShelved: this.showShelved() ? true : undefined,
          limit: 200,
        },
      })
      .subscribe((events) => this.events.set(events));
  }
}
