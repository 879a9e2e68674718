import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormArray, FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { DEVICE_TYPES, MODBUS_DRIVERS, ModbusDriverName } from '@pieng/shared';
import { Observable } from 'rxjs';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';
import { errorMessage, formError } from '../../shared/api-error';
import {
  BAUD_RATES,
  DRIVER_SERIAL_DEFAULTS,
  DeviceFormValue,
  EMPTY_FORM,
  MQTT_FORMATS,
  MqttFormat,
  MqttMappingRow,
  PARITIES,
  TRANSPORTS,
  TUYA_REGIONS,
  buildConfig,
  formFromConfig,
  lineConnection,
  parseVirtualInputs,
} from './device-config';
import { LineScan } from './line-scan';
import { DetectTarget, RegisterGroup, RegisterMapEditor, registerGroup } from './register-map-editor';
import { ReadToShow, TestReadResult } from './test-read-result';

type Device = ApiResponse<'getDevice'>;
type Discovered = ApiResponse<'listDiscovered'>[number];

/** Add or edit a device: the fields of its driver, a register map for generic meters, and a test read. */
@Component({
  selector: 'pm-device-form-page',
  imports: [ReactiveFormsModule, RouterLink, RegisterMapEditor, TestReadResult, LineScan],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './device-form.page.html',
  styles: `
    form {
      display: flex;
      flex-direction: column;
      gap: 1rem;
    }
    .actions {
      display: flex;
      gap: 0.6rem;
      flex-wrap: wrap;
      align-items: center;
    }
  `,
})
export class DeviceFormPage {
  private readonly api = inject(PiengApi);
  private readonly router = inject(Router);
  private readonly fb = inject(FormBuilder);
  private readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);

  /** Route parameter `:id` when editing. */
  readonly id = input<string>();
  /** `?clientId=` preselects the client of a new device. */
  readonly clientId = input<string>();

  protected readonly deviceTypes = DEVICE_TYPES as readonly DeviceFormValue['deviceType'][];
  protected readonly mqttFormats = MQTT_FORMATS;
  protected readonly drivers = MODBUS_DRIVERS;
  protected readonly transports = TRANSPORTS;
  protected readonly parities = PARITIES;
  protected readonly baudRates = BAUD_RATES;
  protected readonly regions = TUYA_REGIONS;
  protected readonly clients = toSignal(this.api.listClients(), { initialValue: [] });
  protected readonly saved = signal<Device | null>(null);
  protected readonly busy = signal(false);
  protected readonly error = signal<{ message: string; fields: Record<string, string> } | null>(null);
  protected readonly testResult = signal<ReadToShow | null>(null);
  protected readonly testing = signal(false);
  protected readonly testError = signal<string | null>(null);

  protected readonly form = this.fb.nonNullable.group({
    clientId: [0, [Validators.required, Validators.min(1)]],
    name: ['', Validators.required],
    active: [true],
    pollIntervalSec: [30, [Validators.required, Validators.min(1), Validators.max(86400)]],
    deviceType: [EMPTY_FORM.deviceType as DeviceFormValue['deviceType']],
    transport: [EMPTY_FORM.transport],
    driver: [EMPTY_FORM.driver as ModbusDriverName],
    serialPort: [EMPTY_FORM.serialPort],
    baudRate: [EMPTY_FORM.baudRate],
    parity: [EMPTY_FORM.parity],
    dataBits: [EMPTY_FORM.dataBits],
    stopBits: [EMPTY_FORM.stopBits],
    slaveId: [EMPTY_FORM.slaveId, [Validators.min(0), Validators.max(255)]],
    host: [EMPTY_FORM.host],
    port: [EMPTY_FORM.port, [Validators.min(1), Validators.max(65535)]],
    timeoutMs: [EMPTY_FORM.timeoutMs, [Validators.min(50), Validators.max(60000)]],
    simulated: [EMPTY_FORM.simulated],
    registers: new FormArray<RegisterGroup>([]),
    region: [EMPTY_FORM.region],
    accessId: [EMPTY_FORM.accessId],
    accessSecret: [EMPTY_FORM.accessSecret],
    tuyaDeviceId: [EMPTY_FORM.tuyaDeviceId],
    endpoint: [EMPTY_FORM.endpoint],
    mqttFormat: [EMPTY_FORM.mqttFormat as MqttFormat],
    mqttTopic: [EMPTY_FORM.mqttTopic],
    energyScale: [EMPTY_FORM.energyScale],
    timestampPath: [EMPTY_FORM.timestampPath],
    mqttMapping: new FormArray<ReturnType<DeviceFormPage['mappingGroup']>>([]),
    virtualInputs: [EMPTY_FORM.virtualInputs],
    virtualPower: [EMPTY_FORM.virtualPower],
    virtualEnergy: [EMPTY_FORM.virtualEnergy],
  });
  private readonly value = toSignal(this.form.valueChanges, { initialValue: this.form.getRawValue() });
  protected readonly deviceType = computed(() => this.value().deviceType);
  protected readonly transport = computed(() => this.value().transport);
  protected readonly driver = computed(() => this.value().driver);
  protected readonly editing = computed(() => this.id() !== undefined);
  protected readonly mqttFormat = computed(() => this.value().mqttFormat);
  /** The line the form describes, without the slave id: what the Scan button probes. */
  protected readonly connection = computed(() => {
    this.value();
    return lineConnection(this.form.getRawValue() as DeviceFormValue);
  });
  /** The meter "Detect" reads in the register-map editor: the form's line and slave id / unit id. */
  protected readonly detectTarget = computed<DetectTarget>(() => {
    const v = this.value();
    return v.transport === 'tcp' ? { connection: this.connection(), unitId: v.slaveId } : { connection: this.connection(), slaveId: v.slaveId };
  });
  /** A virtual meter's expressions as the server judged them while typing: null while unchecked, '' when valid, else the server's message. */
  protected readonly expressionCheck = signal<Record<string, string | null>>({});
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  /** Meters announced on the broker (platform staff adding an mqtt device): one click fills the form. */
  protected readonly discovered = signal<Discovered[]>([]);

  constructor() {
    effect(() => {
      const clientId = Number(this.clientId());
      if (clientId && !this.editing()) this.form.controls.clientId.setValue(clientId);
    });
    effect(() => {
      const clients = this.clients();
      if (clients.length === 1 && !this.form.controls.clientId.value) this.form.controls.clientId.setValue(clients[0].id);
    });
    effect(() => {
      const id = this.id();
      if (id !== undefined) this.api.getDevice({ path: { id: Number(id) } }).subscribe((d) => this.fill(d));
    });
    effect(() => {
      if (this.deviceType() === 'mqtt' && !this.editing() && this.auth.isStaff()) {
        this.api
          .listDiscovered()
          .subscribe({ next: (list) => this.discovered.set(list.filter((d) => d.deviceId === null)), error: () => this.discovered.set([]) });
      }
    });
    // A virtual meter's expressions are checked by the server as they are typed (after a pause), with the inputs as they are.
    effect(() => {
      const v = this.value();
      if (v.deviceType !== 'virtual') return;
      clearTimeout(this.checkTimer);
      this.checkTimer = setTimeout(() => this.checkExpressions(v.virtualInputs ?? '', { power: v.virtualPower ?? '', energy: v.virtualEnergy ?? '' }), 400);
    });
    // A meter model comes with its serial framing: fill it in, the user can still change it.
    this.form.controls.driver.valueChanges.subscribe((driver) => {
      const defaults = DRIVER_SERIAL_DEFAULTS[driver];
      this.form.patchValue({ baudRate: defaults.baudRate, stopBits: defaults.stopBits }, { emitEvent: false });
    });
  }

  private checkExpressions(inputsText: string, expressions: Record<string, string>): void {
    const inputs = parseVirtualInputs(inputsText);
    if (Object.values(inputs).some((id) => !Number.isInteger(id))) {
      this.expressionCheck.set({ inputs: this.t('form.virtual.inputsHint') });
      return;
    }
    for (const [metric, expression] of Object.entries(expressions)) {
      if (!expression.trim()) {
        this.expressionCheck.update((c) => ({ ...c, [metric]: null, inputs: null }));
        continue;
      }
      this.api.checkExpression({ body: { inputs, expression } }).subscribe({
        next: () => this.expressionCheck.update((c) => ({ ...c, [metric]: '', inputs: null })),
        error: (e: unknown) => this.expressionCheck.update((c) => ({ ...c, [metric]: errorMessage(e) ?? this.t('error.server') })),
      });
    }
  }

  protected mappingGroup(row: MqttMappingRow) {
    return this.fb.nonNullable.group({
      metric: [row.metric, Validators.required],
      path: [row.path, Validators.required],
      scale: [row.scale],
      offset: [row.offset],
    });
  }

  protected addMapping(): void {
    this.form.controls.mqttMapping.push(this.mappingGroup({ metric: '', path: '', scale: 1, offset: 0 }));
  }

  protected removeMapping(index: number): void {
    this.form.controls.mqttMapping.removeAt(index);
  }

  /** Fills the form with an announced meter: its format and topic, and its name as announced. */
  protected addDiscovered(d: Discovered): void {
    this.form.patchValue({
      deviceType: 'mqtt',
      mqttFormat: d.format as MqttFormat,
      mqttTopic: d.topic,
      name: this.form.controls.name.value || d.name || d.model || d.topic,
    });
  }

  /** "Add as ..." in the scan results: the form takes the id as the meter's slave id / unit id. */
  protected addFound(id: number): void {
    this.form.controls.slaveId.setValue(id);
    if (!this.form.controls.name.value) this.form.controls.name.setValue(`${this.form.controls.driver.value} ${id}`);
  }

  protected transportKey(transport: string): MessageKey {
    return `form.transport.${transport}` as MessageKey;
  }

  protected save(): void {
    this.submit().subscribe({ next: (device) => void this.router.navigate(['/devices', device.id]), error: (e: unknown) => this.fail(e) });
  }

  /**
   * Reads the meter once with the settings as they are in the form, before anything is saved: the server validates
   * them as on saving (its field errors show next to the fields) and stores nothing.
   */
  protected testRead(): void {
    const v = this.form.getRawValue();
    if (v.deviceType === 'api' || v.deviceType === 'mqtt' || v.deviceType === 'virtual') return;
    this.testResult.set(null);
    this.testError.set(null);
    this.error.set(null);
    this.testing.set(true);
    const existing = this.saved();
    const body = { deviceType: v.deviceType, config: buildConfig(v), ...(existing ? { deviceId: existing.id } : {}) };
    this.api.testReadDevice({ body }).subscribe({
      next: (result) => {
        this.testing.set(false);
        this.testResult.set(result);
      },
      error: (e: unknown) => {
        this.testing.set(false);
        const invalid = formError(e);
        if (invalid && Object.keys(invalid.fields).length > 0) this.error.set(invalid);
        this.testError.set(errorMessage(e) ?? this.t('error.server'));
      },
    });
  }

  /** The server's message about a form control, from the `errors` of a 400 (config fields come as `config.<name>`). */
  protected fieldError(control: string): string | null {
    const fields = this.error()?.fields ?? {};
    for (const [field, message] of Object.entries(fields)) if (controlOf(field, this.transport()) === control) return message;
    return null;
  }

  /** Field errors no form control shows (e.g. a register of a generic map). */
  protected readonly otherFieldErrors = computed(() => {
    const transport = this.transport();
    return Object.entries(this.error()?.fields ?? {})
      .filter(([field]) => controlOf(field, transport) === null)
      .map(([field, message]) => ({ field, message }));
  });

  private submit(): Observable<Device> {
    // A field that left the page with its device type (the Modbus host's `required`) keeps the validity it had until checked again.
    for (const control of Object.values(this.form.controls)) control.updateValueAndValidity({ emitEvent: false });
    this.form.updateValueAndValidity({ emitEvent: false });
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return new Observable((s) => s.error(null));
    }
    this.busy.set(true);
    this.error.set(null);
    const v = this.form.getRawValue();
    const body = { clientId: v.clientId, name: v.name, deviceType: v.deviceType, active: v.active, pollIntervalSec: v.pollIntervalSec, config: buildConfig(v) };
    const existing = this.saved();
    const request = existing ? this.api.updateDevice({ path: { id: existing.id }, body }) : this.api.createDevice({ body });
    return new Observable<Device>((subscriber) =>
      request.subscribe({
        next: (device) => {
          this.saved.set(device);
          this.busy.set(false);
          subscriber.next(device);
          subscriber.complete();
        },
        error: (e: unknown) => subscriber.error(e),
      }),
    );
  }

  private fail(e: unknown): void {
    this.busy.set(false);
    this.error.set(formError(e));
  }

  private fill(device: Device): void {
    this.saved.set(device);
    const v = formFromConfig(device.deviceType as DeviceFormValue['deviceType'], device.config);
    const registers = this.form.controls.registers;
    registers.clear();
    for (const row of v.registers) registers.push(registerGroup(this.fb, row));
    const mapping = this.form.controls.mqttMapping;
    mapping.clear();
    for (const row of v.mqttMapping) mapping.push(this.mappingGroup(row));
    this.form.patchValue(
      {
        ...v,
        registers: undefined,
        mqttMapping: undefined,
        clientId: device.clientId,
        name: device.name,
        active: device.active,
        pollIntervalSec: device.pollIntervalSec,
      },
      { emitEvent: true },
    );
  }
}

const CONTROLS = new Set([
  'clientId',
  'name',
  'deviceType',
  'active',
  'pollIntervalSec',
  'transport',
  'driver',
  'slaveId',
  'timeoutMs',
  'baudRate',
  'parity',
  'dataBits',
  'stopBits',
  'host',
  'port',
  'simulated',
  'region',
  'accessId',
  'accessSecret',
  'tuyaDeviceId',
  'endpoint',
  'energyScale',
  'timestampPath',
  'virtualInputs',
  'virtualPower',
  'virtualEnergy',
]);

/** The form control an API field error belongs to, or null when none shows it. */
export function controlOf(field: string, transport: string | undefined): string | null {
  const name = field.startsWith('config.') ? field.slice('config.'.length) : field;
  if (name === 'unitId') return 'slaveId';
  if (name === 'format') return 'mqttFormat';
  if (name === 'topic') return 'mqttTopic';
  if (name === 'inputs' || name.startsWith('inputs.')) return 'virtualInputs';
  if (name === 'metrics.power') return 'virtualPower';
  if (name === 'metrics.energy') return 'virtualEnergy';
  if (name === 'port' && field.startsWith('config.') && transport === 'rtu') return 'serialPort';
  return CONTROLS.has(name) ? name : null;
}
