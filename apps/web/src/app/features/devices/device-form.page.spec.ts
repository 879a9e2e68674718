import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
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
    TestBed.configureTestingModule({ imports: [DeviceFormPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
  });

  it('shows the fields of the chosen driver, saves a Modbus TCP device, and shows the test read', async () => {
    const fixture = TestBed.createComponent(DeviceFormPage);
    await fixture.whenStable();
    const http = TestBed.inject(HttpTestingController);
    http.expectOne('/api/clients').flush([{ id: 4, name: 'Plant', externalId: null, createdAt: '' }]);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;

    // Serial settings for RTU, host and port for TCP.
    set(el, 'transport', 'rtu');
    await fixture.whenStable();
    expect(el.querySelector('[name="baudRate"]')).not.toBeNull();
    expect(el.querySelector('[name="host"]')).toBeNull();
    set(el, 'transport', 'tcp');
    await fixture.whenStable();
    expect(el.querySelector('[name="baudRate"]')).toBeNull();

    set(el, 'name', 'Main panel');
    set(el, 'host', '127.0.0.1');
    set(el, 'port', '5020');
    set(el, 'slaveId', '1');
    set(el, 'simulated', true);
    (el.querySelector('[data-testid="save-and-test"]') as HTMLButtonElement).click();
    const create = http.expectOne('/api/devices');
    expect(create.request.body).toEqual({
      clientId: 4,
      name: 'Main panel',
      deviceType: 'modbus',
      active: true,
      pollIntervalSec: 30,
      config: { transport: 'tcp', host: '127.0.0.1', port: 5020, unitId: 1, driver: 'pzem004t', timeoutMs: 1000, simulated: true },
    });
    create.flush({ id: 12, name: 'Main panel', clientId: 4, deviceType: 'modbus', config: {}, status: 'unknown' });
    http.expectOne('/api/devices/12/poll').flush({ deviceId: 12, ts: '2026-01-01T00:00:00Z', source: 'simulator', durationMs: 12.3, metrics: { voltage: 229.8, power: 100 } });
    await fixture.whenStable();
    const result = el.querySelector('[data-testid="test-read-result"]')?.textContent ?? '';
    expect(result).toContain('Voltage');
    expect(result).toContain('229.8');

    // A second save updates the same device instead of creating another.
    (el.querySelector('[data-testid="save-and-test"]') as HTMLButtonElement).click();
    expect(http.expectOne('/api/devices/12').request.method).toBe('PATCH');
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
});
