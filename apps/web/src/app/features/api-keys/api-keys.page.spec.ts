import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { ApiKeysPage } from './api-keys.page';

const key = { id: 3, clientId: 4, name: 'Gateway', scope: 'ingest', prefix: 'pk_ab12', createdAt: '2026-01-01T00:00:00Z', lastUsedAt: null, revokedAt: null };

describe('ApiKeysPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [ApiKeysPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(AuthService).user.set({ id: 1, email: 'admin@plant.test', role: 'admin', clientId: null, mustChangePassword: false } as never);
  });

  async function render() {
    const fixture = TestBed.createComponent(ApiKeysPage);
    await fixture.whenStable();
    http.expectOne('/api/clients').flush([{ id: 4, name: 'Plant', externalId: null, createdAt: '' }]);
    http.expectOne('/api/api-keys').flush([key, { ...key, id: 2, name: 'Old script', revokedAt: '2026-01-03T00:00:00Z' }]);
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  it('creates a key for a client and shows it once, with a warning and a copy button', async () => {
    const { fixture, el } = await render();
    const writeText = jest.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const name = el.querySelector<HTMLInputElement>('[name="keyName"]');
    const scope = el.querySelector<HTMLSelectElement>('[name="keyScope"]');
    if (!name || !scope) throw new Error('key form missing');
    name.value = 'Head office';
    name.dispatchEvent(new Event('input'));
    scope.value = 'read';
    scope.dispatchEvent(new Event('change'));
    (el.querySelector('[data-testid="create-key"]') as HTMLButtonElement).click();
    const create = http.expectOne((r) => r.url === '/api/api-keys' && r.method === 'POST');
    expect(create.request.body).toEqual({ name: 'Head office', scope: 'read', clientId: 4 });
    create.flush({ ...key, id: 9, name: 'Head office', scope: 'read', key: 'pk_secret_value_123' });
    http.expectOne('/api/api-keys').flush([key]);
    await fixture.whenStable();
    const shown = el.querySelector('[data-testid="new-key"]');
    expect(shown?.querySelector('[data-testid="new-key-value"]')?.textContent).toBe('pk_secret_value_123');
    expect(shown?.textContent).toContain('shown this once');
    (el.querySelector('[data-testid="copy-key"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(writeText).toHaveBeenCalledWith('pk_secret_value_123');
    expect(el.querySelector('[data-testid="copy-key"]')?.textContent?.trim()).toBe('Copied');
  });

  it('offers the three scopes, each with what it may do', async () => {
    const { el } = await render();
    const options = Array.from(el.querySelectorAll<HTMLOptionElement>('[name="keyScope"] option'));
    expect(options.map((o) => o.value)).toEqual(['ingest', 'forward', 'read']);
    expect(options.map((o) => o.textContent?.trim())).toEqual([
      'ingest: may push readings of existing devices (POST /api/ingest)',
      'forward: may push readings and create the devices they name (a master instance forwarding here)',
      'read: may call the read routes',
    ]);
  });

  it('revokes a key after confirmation; a revoked key has no revoke button', async () => {
    const { el } = await render();
    const rows = Array.from(el.querySelectorAll('[data-testid="api-key-row"]'));
    expect(rows[1].querySelector('[data-testid="revoke-key"]')).toBeNull();
    expect(rows[1].textContent).toContain('Revoked');
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
    (rows[0].querySelector('[data-testid="revoke-key"]') as HTMLButtonElement).click();
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining('Gateway'));
    expect(http.expectOne('/api/api-keys/3').request.method).toBe('DELETE');
    confirm.mockRestore();
  });
});
