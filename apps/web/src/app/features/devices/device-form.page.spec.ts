import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { DeviceFormPage } from './device-form.page';

function set(el: HTMLElement, name: string, value: string | boolean): void {
  const control = el.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`);
  if (!control) throw new Error(`no control ${name}`);
  if (typeof value === 'boolean' && control instanceof HTMLInputElement) {
    control.checked = value;
    control.dispatchEvent(new Event('change'));
  } else {
    control.value = String(value);
    control.dispatchEvent(new Event(control instanceof HTMLSelectElement ? 'change' : 'input'));
  }
}

describe('DeviceFormPage', () => {
  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({
      imports: [DeviceFormPage],
      providers: [provideRouter([{ path: '**', children: [] }]), provideHttpClient(), provideHttpClientTesting()],
    });
  });

  async function render() {
    const fixture = TestBed.createComponent(DeviceFormPage);
    await fixture.whenStable();
    const http = TestBed.inject(HttpTestingController);
    http.expectOne('/api/clients').flush([{ id: 4, name: 'Plant', externalId: null, createdAt: '' }]);
    await fixture.whenStable();
    return { fixture, http, el: fixture.nativeElement as HTMLElement };
  }

  function fillTcpMeter(el: HTMLElement): void {
    set(el, 'name', 'Main panel');
    set(el, 'host', '127.0.0.1');
    set(el, 'port', '5020');
    set(el, 'slaveId', '1');
    set(el, 'simulated', true);
  }

  const tcpConfig = { transport: 'tcp', host: '127.0.0.1', port: 5020, unitId: 1, driver: 'pzem004t', timeoutMs: 1000, simulated: true };

  it('shows the fields of the chosen driver, test-reads the unsaved settings, then saves a Modbus TCP device', async () => {
    const { fixture, http, el } = await render();

    // Serial settings for RTU, host and port for TCP.
    set(el, 'transport', 'rtu');
    await fixture.whenStable();
    expect(el.querySelector('[name="baudRate"]')).not.toBeNull();
    expect(el.querySelector('[name="host"]')).toBeNull();
    set(el, 'transport', 'tcp');
    await fixture.whenStable();
    expect(el.querySelector('[name="baudRate"]')).toBeNull();

    fillTcpMeter(el);
    (el.querySelector('[data-testid="test-read"]') as HTMLButtonElement).click();
    const test = http.expectOne('/api/devices/test-read');
    expect(test.request.method).toBe('POST');
    expect(test.request.body).toEqual({ deviceType: 'modbus', config: tcpConfig });
    test.flush({
      source: 'simulator',
      durationMs: 12.3,
      metrics: [
        { metric: 'voltage', value: 229.8, unit: 'V' },
        { metric: 'powerFactor', value: 0.9, unit: null },
      ],
    });
    http.expectNone('/api/devices'); // nothing saved by a test read
    await fixture.whenStable();
    const values = Array.from(el.querySelectorAll('[data-testid="test-read-value"]')).map((v) => v.textContent?.replace(/\s+/g, ' ').trim());
    expect(values).toEqual(['Voltage229.8 V', 'Power factor0.9']);

    (el.querySelector('[data-testid="save-device"]') as HTMLButtonElement).click();
    const create = http.expectOne('/api/devices');
    expect(create.request.body).toEqual({ clientId: 4, name: 'Main panel', deviceType: 'modbus', active: true, pollIntervalSec: 30, config: tcpConfig });
  });

  it('shows the server field errors next to their fields, and the meter error of a failed test read as is', async () => {
    const { fixture, http, el } = await render();
    fillTcpMeter(el);
    (el.querySelector('[data-testid="test-read"]') as HTMLButtonElement).click();
    http.expectOne('/api/devices/test-read').flush(
      {
        statusCode: 400,
        message: 'config.host must be a host name or IP address; config.registers[0].metric is required',
        errors: [
          { field: 'config.host', message: 'config.host must be a host name or IP address' },
          { field: 'config.registers[0].metric', message: 'config.registers[0].metric is required' },
        ],
      },
      { status: 400, statusText: 'Bad Request' },
    );
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="field-error-host"]')?.textContent).toBe('config.host must be a host name or IP address');
    expect(el.querySelector('[data-testid="form-error"]')?.textContent).toContain('config.registers[0].metric: config.registers[0].metric is required');
    expect(el.querySelector('[data-testid="form-error"]')?.textContent).not.toContain('config.host:');
    expect(el.querySelector('[data-testid="test-read-error"]')?.textContent).toContain('config.host must be a host name or IP address');

    (el.querySelector('[data-testid="test-read"]') as HTMLButtonElement).click();
    http
      .expectOne('/api/devices/test-read')
      .flush({ statusCode: 504, message: 'meter 1 on 127.0.0.1:5020 did not answer within 1000 ms' }, { status: 504, statusText: 'Gateway Timeout' });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="test-read-error"]')?.textContent).toBe('meter 1 on 127.0.0.1:5020 did not answer within 1000 ms');
    expect(el.querySelector('[role="alert"].test-read-failed')?.textContent).toContain('The meter could not be read.');
    expect(el.querySelector('[data-testid="field-error-host"]')).toBeNull();
    expect(el.querySelector('[data-testid="test-read-result"]')).toBeNull();
  });

  it('sends the device id with a test read while editing, so a kept secret is used', async () => {
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({ imports: [DeviceFormPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    const fixture = TestBed.createComponent(DeviceFormPage);
    fixture.componentRef.setInput('id', '9');
    await fixture.whenStable();
    const http = TestBed.inject(HttpTestingController);
    http.expectOne('/api/clients').flush([{ id: 4, name: 'Plant', externalId: null, createdAt: '' }]);
    http.expectOne('/api/devices/9').flush({
      id: 9,
      clientId: 4,
      name: 'Plug',
      deviceType: 'tuya',
      active: true,
      pollIntervalSec: 60,
      config: { region: 'eu', accessId: 'abc', tuyaDeviceId: 'dev1' },
      status: 'online',
    });
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    (el.querySelector('[data-testid="test-read"]') as HTMLButtonElement).click();
    const test = http.expectOne('/api/devices/test-read');
    expect(test.request.body.deviceId).toBe(9);
    expect(test.request.body.deviceType).toBe('tuya');
    expect(test.request.body.config).toMatchObject({ region: 'eu', accessId: 'abc', tuyaDeviceId: 'dev1' });
  });

  it('edits a generic register map row by row', async () => {
    const fixture = TestBed.createComponent(DeviceFormPage);
    await fixture.whenStable();
    TestBed.inject(HttpTestingController).expectOne('/api/clients').flush([]);
    const el = fixture.nativeElement as HTMLElement;
    set(el, 'driver', 'generic');
    await fixture.whenStable();
    (el.querySelector('[data-testid="add-register"]') as HTMLButtonElement).click();
    (el.querySelector('[data-testid="add-register"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(el.querySelectorAll('pm-register-map-editor tbody tr').length).toBe(2);
    expect(el.querySelector('[aria-label="Address 2"]')).not.toBeNull();
    (el.querySelector('[aria-label="Remove register 1"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(el.querySelectorAll('pm-register-map-editor tbody tr').length).toBe(1);
  });

  it('adds an mqtt meter announced on the broker with one click (staff), and a json meter with its mapping rows', async () => {
    TestBed.inject(AuthService).user.set({ id: 1, email: 'staff@plant', role: 'admin', clientId: null } as never);
    const { fixture, http, el } = await render();
    set(el, 'deviceType', 'mqtt');
    await fixture.whenStable();
    // The announced meters not read by a device yet.
    http.expectOne('/api/mqtt/discovered').flush([
      {
        format: 'tasmota',
        topic: 'tasmota_C2E9A6',
        announcedOn: 'tasmota/discovery/A4CF12C2E9A6/config',
        model: 'Sonoff Pow R2',
        name: 'Boiler',
        lastSeenAt: '2026-11-30T12:00:00.000Z',
        deviceId: null,
      },
      {
        format: 'zigbee2mqtt',
        topic: 'office plug',
        announcedOn: 'zigbee2mqtt/bridge/devices',
        model: 'TS011F_plug_1',
        name: null,
        lastSeenAt: '2026-11-30T12:00:00.000Z',
        deviceId: 7,
      },
    ]);
    await fixture.whenStable();
    expect(el.querySelectorAll('[data-testid="mqtt-discovered"] tbody tr')).toHaveLength(1);
    expect(el.querySelector('[data-testid="test-read"]')).toBeNull();
    (el.querySelector('[data-testid="add-discovered-tasmota_C2E9A6"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    (el.querySelector('[data-testid="save-device"]') as HTMLButtonElement).click();
    const create = http.expectOne('/api/devices');
    expect(create.request.body).toEqual({
      clientId: 4,
      name: 'Boiler',
      deviceType: 'mqtt',
      active: true,
      pollIntervalSec: 30,
      config: { format: 'tasmota', topic: 'tasmota_C2E9A6' },
    });
    create.flush(
      {
        error: 'Bad Request',
        message: 'config.topic must lie under this client\'s MQTT topic prefix "acme"',
        statusCode: 400,
        errors: [{ field: 'config.topic', message: 'must lie under "acme"' }],
      },
      { status: 400, statusText: 'Bad Request' },
    );
    await fixture.whenStable();
    // The server's field error shows at the topic.
    expect(el.querySelector('[data-testid="field-error-mqttTopic"]')?.textContent).toContain('must lie under');

    // Any JSON payload: rows of metric, path, scale and offset.
    set(el, 'mqttFormat', 'json');
    set(el, 'mqttTopic', 'site/meter1/state');
    await fixture.whenStable();
    (el.querySelector('[data-testid="add-mapping"]') as HTMLButtonElement).click();
    (el.querySelector('[data-testid="add-mapping"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    set(el, 'metric0', 'power');
    set(el, 'path0', 'data.p');
    set(el, 'metric1', 'energy');
    set(el, 'path1', 'data.e_kwh');
    set(el, 'scale1', '1000');
    (el.querySelector('[data-testid="save-device"]') as HTMLButtonElement).click();
    expect(http.expectOne('/api/devices').request.body.config).toEqual({
      format: 'json',
      topic: 'site/meter1/state',
      mapping: [
        { metric: 'power', path: 'data.p' },
        { metric: 'energy', path: 'data.e_kwh', scale: 1000 },
      ],
    });
  });
});
