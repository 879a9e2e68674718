import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { UsersPage } from './users.page';

const admin = {
  id: 1,
  email: 'admin@plant.test',
  role: 'admin',
  clientId: null,
  active: true,
  createdAt: '2026-01-01T00:00:00Z',
  lastLoginAt: '2026-01-02T00:00:00Z',
};
const maria = { id: 2, email: 'maria@plant.test', role: 'viewer', clientId: 4, active: true, createdAt: '2026-01-01T00:00:00Z', lastLoginAt: null };

function set(el: HTMLElement, name: string, value: string): void {
  const control = el.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`);
  if (!control) throw new Error(`no control ${name}`);
  control.value = value;
  control.dispatchEvent(new Event(control instanceof HTMLSelectElement ? 'change' : 'input'));
}

describe('UsersPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [UsersPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
  });

  async function render(me: { id: number; role: 'admin' | 'operator' | 'viewer'; clientId: number | null } = { id: 1, role: 'admin', clientId: null }) {
    TestBed.inject(AuthService).user.set({ id: me.id, email: 'me@plant.test', role: me.role, clientId: me.clientId, mustChangePassword: false } as never);
    const fixture = TestBed.createComponent(UsersPage);
    await fixture.whenStable();
    http.expectOne('/api/clients').flush([{ id: 4, name: 'Plant', externalId: null, createdAt: '' }]);
    http.expectOne('/api/users').flush([admin, maria]);
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  it("lists users with role, client and state; no disable button on one's own account", async () => {
    const { el } = await render();
    const rows = Array.from(el.querySelectorAll('[data-testid="user-row"]'));
    expect(rows.map((r) => r.textContent?.includes('Plant'))).toEqual([false, true]);
    expect(rows[0].textContent).toContain('(you)');
    expect(rows[0].textContent).toContain('Administrator');
    expect(rows[0].querySelector('[data-testid="disable-user"]')).toBeNull();
    expect(rows[1].textContent).toContain('Viewer');
    expect(rows[1].querySelector('[data-testid="disable-user"]')).not.toBeNull();
  });

  it('creates a user with a role and a client, and shows a server field error next to its field', async () => {
    const { fixture, el } = await render();
    set(el, 'email', 'joao@plant.test');
    set(el, 'password', 'long-enough-1');
    set(el, 'role', 'operator');
    const client = el.querySelector<HTMLSelectElement>('[name="clientId"]');
    if (!client) throw new Error('no client select');
    client.selectedIndex = 2; // "Plant" after "Choose a client…" and "None (platform staff)"
    client.dispatchEvent(new Event('change'));
    (el.querySelector('[data-testid="create-user"]') as HTMLButtonElement).click();
    const create = http.expectOne((r) => r.url === '/api/users' && r.method === 'POST');
    expect(create.request.body).toEqual({ email: 'joao@plant.test', password: 'long-enough-1', role: 'operator', clientId: 4 });
    create.flush(
      { statusCode: 400, message: 'email must be an email address', errors: [{ field: 'email', message: 'email must be an email address' }] },
      { status: 400, statusText: 'Bad Request' },
    );
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="field-error-email"]')?.textContent).toBe('email must be an email address');
    // Once, beside its field: not again above the button.
    expect(el.querySelector('[data-testid="user-error"]')).toBeNull();
  });

  it('makes platform staff an explicit choice, with a warning, never a default', async () => {
    const { fixture, el } = await render();
    set(el, 'email', 'joao@plant.test');
    set(el, 'password', 'long-enough-1');
    (el.querySelector('[data-testid="create-user"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    http.expectNone((r) => r.url === '/api/users' && r.method === 'POST');
    expect(el.querySelector('[data-testid="field-error-clientId"]')?.textContent).toBe('Choose the client this user belongs to, or platform staff.');

    const client = el.querySelector<HTMLSelectElement>('[name="clientId"]') as HTMLSelectElement;
    client.selectedIndex = 1; // None (platform staff)
    client.dispatchEvent(new Event('change'));
    (el.querySelector('[data-testid="create-user"]') as HTMLButtonElement).click();
    const create = http.expectOne((r) => r.url === '/api/users' && r.method === 'POST');
    expect(create.request.body.clientId).toBeNull();
    fixture.detectChanges();
    expect(el.querySelector('[data-testid="staff-warning"]')?.textContent).toBe('Platform staff see and change the data of every client.');
    create.flush({ id: 9, email: 'joao@plant.test', role: 'viewer', clientId: null, active: true, createdAt: '', lastLoginAt: null });
    http.expectOne('/api/users').flush([admin, maria]);
    await fixture.whenStable();
    // The next user starts without a client again: staff is chosen each time, never carried over.
    expect((el.querySelector('[name="clientId"]') as HTMLSelectElement).selectedIndex).toBe(0);
    expect(el.querySelector('[data-testid="staff-warning"]')).toBeNull();
  });

  it('shows a server error about a field without its own place above the button', async () => {
    const { fixture, el } = await render({ id: 3, role: 'operator', clientId: 4 });
    set(el, 'email', 'ana@plant.test');
    set(el, 'password', 'long-enough-1');
    (el.querySelector('[data-testid="create-user"]') as HTMLButtonElement).click();
    http
      .expectOne((r) => r.url === '/api/users' && r.method === 'POST')
      .flush(
        {
          statusCode: 400,
          message: 'clientId: the client has reached its user limit',
          errors: [{ field: 'clientId', message: 'clientId: the client has reached its user limit' }],
        },
        { status: 400, statusText: 'Bad Request' },
      );
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="user-error"]')?.textContent).toBe('clientId: the client has reached its user limit');
  });

  it('disables a user and resets a password', async () => {
    const { fixture, el } = await render();
    (el.querySelector('[data-testid="disable-user"]') as HTMLButtonElement).click();
    const patch = http.expectOne('/api/users/2');
    expect(patch.request.method).toBe('PATCH');
    expect(patch.request.body).toEqual({ active: false });
    patch.flush({ ...maria, active: false });
    http.expectOne('/api/users').flush([admin, { ...maria, active: false }]);
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="enable-user"]')).not.toBeNull();

    (el.querySelector('[data-testid="reset-password"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    set(el, 'resetPassword', 'a-new-password-2');
    (el.querySelector('[data-testid="save-reset"]') as HTMLButtonElement).click();
    const reset = http.expectOne('/api/users/2');
    expect(reset.request.body).toEqual({ password: 'a-new-password-2' });
    reset.flush(maria);
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="users-done"]')?.textContent).toContain('maria@plant.test');
  });

  it('offers an operator no role above their own and no client choice', async () => {
    const { el } = await render({ id: 5, role: 'operator', clientId: 4 });
    const roles = Array.from(el.querySelectorAll<HTMLOptionElement>('[name="role"] option')).map((o) => o.value);
    expect(roles).toEqual(['viewer', 'operator']);
    expect(el.querySelector('[name="clientId"]')).toBeNull();
  });

  it('deletes a user only after a confirmation naming the e-mail; none for the signed-in user', async () => {
    const { fixture, el } = await render();
    const rows = Array.from(el.querySelectorAll('[data-testid="user-row"]'));
    expect(rows[0].querySelector('[data-testid="delete-user"]')).toBeNull();
    (rows[1].querySelector('[data-testid="delete-user"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="delete-confirm"]')?.textContent).toContain('Delete the user maria@plant.test?');
    (el.querySelector('[data-testid="delete-cancel"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    http.expectNone((r) => r.method === 'DELETE');
    expect(el.querySelector('[data-testid="delete-confirm"]')).toBeNull();

    (el.querySelector('[data-testid="delete-user"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    (el.querySelector('[data-testid="delete-confirm-button"]') as HTMLButtonElement).click();
    const del = http.expectOne('/api/users/2');
    expect(del.request.method).toBe('DELETE');
    del.flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(Array.from(el.querySelectorAll('[data-testid="user-row"]')).map((r) => r.textContent?.includes('maria@plant.test'))).toEqual([false]);
  });

  it("shows the server's refusal in the confirmation", async () => {
    const { fixture, el } = await render();
    (el.querySelector('[data-testid="delete-user"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    (el.querySelector('[data-testid="delete-confirm-button"]') as HTMLButtonElement).click();
    http.expectOne('/api/users/2').flush({ statusCode: 409, message: 'You cannot delete your own account' }, { status: 409, statusText: 'Conflict' });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="delete-confirm"] [role="alert"]')?.textContent).toBe('You cannot delete your own account');
    expect(el.querySelectorAll('[data-testid="user-row"]')).toHaveLength(2);
  });
});
