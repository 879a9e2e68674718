import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { DeviceFormPage } from './device-form.page';
import { PzemCommands } from './pzem-commands';

function set(el: HTMLElement, name: string, value: string): void {
  const control = el.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`);
  if (!control) throw new Error(`no control ${name}`);
  control.value = value;
  control.dispatchEvent(new Event(control instanceof HTMLSelectElement ? 'change' : 'input'));
}

const click = (el: HTMLElement, testId: string) => (el.querySelector(`[data-testid="${testId}"]`) as HTMLButtonElement).click();

describe('commissioning in the console', () => {
  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ providers: [provideRouter([{ path: '**', children: [] }]), provideHttpClient(), provideHttpClientTesting()] });
  });

  it('scans the line the Add device form describes, shows what answered, and takes "Add as 3" as the slave id', async () => {
    const fixture = TestBed.createComponent(DeviceFormPage);
    await fixture.whenStable();
    const http = TestBed.inject(HttpTestingController);
    http.expectOne('/api/clients').flush([{ id: 4, name: 'Plant', externalId: null, createdAt: '' }]);
    const el = fixture.nativeElement as HTMLElement;
    set(el, 'transport', 'rtu-tcp');
    set(el, 'host', '192.168.1.60');
    set(el, 'port', '4196');
    await fixture.whenStable();
    click(el, 'scan-start');
    const start = http.expectOne('/api/lines/scan');
    // The line without a slave id: what the form says about host, port and serial side.
    expect(start.request.body.connection).toEqual({ transport: 'rtu-tcp', host: '192.168.1.60', port: 4196, driver: 'pzem004t', timeoutMs: 1000 });
    expect(start.request.body).toMatchObject({ from: 1, to: 247, timeoutMs: 300 });
    start.flush({ jobId: '0d9f6a3e-2f57-4a8e-9c1e-4c1c1d0e8b55', estimate: '247 ids × 300 ms timeout' });
    await new Promise((r) => setTimeout(r, 20));
    http.expectOne('/api/lines/scan/0d9f6a3e-2f57-4a8e-9c1e-4c1c1d0e8b55').flush({
      jobId: '0d9f6a3e-2f57-4a8e-9c1e-4c1c1d0e8b55',
      status: 'done',
      scanned: 247,
      total: 247,
      estimatedMsLeft: 0,
      estimate: '247 ids × 300 ms timeout',
      found: [
        { id: 1, answered: 'registers', ms: 40 },
        { id: 3, answered: 'exception', exceptionCode: 2, ms: 30 },
      ],
    });
    await fixture.whenStable();
    const rows = Array.from(el.querySelectorAll('[data-testid="scan-results"] tbody tr')).map((tr) =>
      Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim()),
    );
    expect(rows).toEqual([
      ['1', 'registers', '40', 'Add as 1'],
      ['3', 'Modbus exception 2', '30', 'Add as 3'],
    ]);
    expect(el.querySelector('[data-testid="scan-progress"]')?.textContent).toContain('247 of 247 ids scanned, 2 found');
    click(el, 'scan-add-3');
    await fixture.whenStable();
    expect((el.querySelector('[name="slaveId"]') as HTMLInputElement).value).toBe('3');
    http.verify();
    // The whole form renders in this test: on a loaded 2-core machine that alone can pass 5 s.
  }, 30_000);

  it('shows the one-meter-at-a-time guide on a PZEM and posts a new address, then a threshold', async () => {
    const fixture = TestBed.createComponent(PzemCommands);
    fixture.componentRef.setInput('device', { id: 12, name: 'PZEM', deviceType: 'modbus', config: { driver: 'pzem004t', slaveId: 248 } });
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const http = TestBed.inject(HttpTestingController);
    expect(el.querySelector('[data-testid="pzem-guide"]')?.textContent).toContain('connect one meter at a time');
    expect(el.textContent).toContain('Current address: 248 (0xF8)');
    const input = el.querySelector('[data-testid="pzem-new-address"]') as HTMLInputElement;
    input.value = '4';
    input.dispatchEvent(new Event('change'));
    click(el, 'pzem-set-address');
    const req = http.expectOne('/api/devices/12/pzem/address');
    expect(req.request.body).toEqual({ newAddress: 4 });
    req.flush({ deviceId: 12, from: 248, to: 4 });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="pzem-message"]')?.textContent).toContain('from address 248 to 4');
    click(el, 'pzem-set-threshold');
    const threshold = http.expectOne('/api/devices/12/pzem/alarm-threshold');
    expect(threshold.request.body).toEqual({ watts: 2300 });
    threshold.flush(
      { message: 'watts: must not be greater than 65535', errors: [{ field: 'watts', message: 'must not be greater than 65535' }] },
      { status: 400, statusText: 'Bad Request' },
    );
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="pzem-error"]')?.textContent).toContain('watts');
    http.verify();
  });
});
