import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { DeviceListPage } from './device-list.page';

const device = (id: number, name: string) => ({
  id,
  uid: `u${id}`,
  clientId: 4,
  siteId: 1,
  name,
  deviceType: 'api',
  config: {},
  status: 'online',
  lastSeenAt: null,
  lastError: null,
  active: true,
});

describe('DeviceListPage', () => {
  let http: HttpTestingController;
  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [DeviceListPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(AuthService).user.set({ id: 1, email: 'ops@plant.test', role: 'operator', clientId: null, mustChangePassword: false } as never);
  });

  async function render() {
    const fixture = TestBed.createComponent(DeviceListPage);
    await fixture.whenStable();
    http.expectOne('/api/clients').flush([{ id: 4, name: 'Plant' }]);
    http.expectOne('/api/devices').flush([device(1, 'Main panel'), device(2, 'Pump')]);
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  it('deletes a device only after confirmation, keeping its readings unless asked', async () => {
    const { fixture, el } = await render();
    const buttons = el.querySelectorAll<HTMLButtonElement>('[data-testid="delete-device"]');
    buttons[0].click();
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="delete-confirm"]')?.textContent).toContain('Delete the device "Main panel"?');
    (
      Array.from(el.querySelectorAll<HTMLButtonElement>('[data-testid="delete-confirm"] button')).find(
        (b) => b.textContent?.trim() === 'Cancel',
      ) as HTMLButtonElement
    ).click();
    await fixture.whenStable();
    http.expectNone((r) => r.method === 'DELETE');
    expect(el.querySelector('[data-testid="delete-confirm"]')).toBeNull();

    buttons[1].click();
    await fixture.whenStable();
    const purge = el.querySelector<HTMLInputElement>('[data-testid="delete-purge"]') as HTMLInputElement;
    purge.checked = true;
    purge.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    const confirm = el.querySelector<HTMLButtonElement>('[data-testid="delete-confirm-button"]') as HTMLButtonElement;
    expect(confirm.textContent?.trim()).toBe('Delete with its readings');
    confirm.click();
    const del = http.expectOne('/api/devices/2?purge=true');
    expect(del.request.method).toBe('DELETE');
    del.flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(Array.from(el.querySelectorAll('[data-testid="device-row"]')).map((r) => r.querySelector('a')?.textContent)).toEqual(['Main panel']);
  });

  it("shows the server's refusal in the confirmation", async () => {
    const { fixture, el } = await render();
    el.querySelector<HTMLButtonElement>('[data-testid="delete-device"]')?.click();
    await fixture.whenStable();
    el.querySelector<HTMLButtonElement>('[data-testid="delete-confirm-button"]')?.click();
    http
      .expectOne('/api/devices/1?purge=false')
      .flush({ statusCode: 409, message: 'Device 1 is the main meter of site 1' }, { status: 409, statusText: 'Conflict' });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="delete-confirm"] [role="alert"]')?.textContent).toBe('Device 1 is the main meter of site 1');
  });
});
