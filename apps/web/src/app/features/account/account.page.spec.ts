import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { AccountPage } from './account.page';

describe('AccountPage', () => {
  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [AccountPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
  });

  function type(el: HTMLElement, name: string, value: string): void {
    const input = el.querySelector<HTMLInputElement>(`[formcontrolname="${name}"]`);
    if (!input) throw new Error(`no ${name}`);
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  it('changes the password and clears the must-change flag; refuses two different new passwords', async () => {
    const auth = TestBed.inject(AuthService);
    auth.user.set({ id: 1, email: 'admin@localhost', role: 'admin', clientId: null, mustChangePassword: true });
    const fixture = TestBed.createComponent(AccountPage);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const http = TestBed.inject(HttpTestingController);

    type(el, 'currentPassword', 'generated-1');
    type(el, 'newPassword', 'a-long-new-password');
    type(el, 'repeat', 'a-long-new-passwordX');
    el.querySelector('form')?.dispatchEvent(new Event('submit'));
    await fixture.whenStable();
    http.expectNone('/api/auth/password');
    expect(el.textContent).toContain('The two new passwords differ.');

    type(el, 'repeat', 'a-long-new-password');
    el.querySelector('form')?.dispatchEvent(new Event('submit'));
    const change = http.expectOne('/api/auth/password');
    expect(change.request.method).toBe('PATCH');
    expect(change.request.body).toEqual({ currentPassword: 'generated-1', newPassword: 'a-long-new-password' });
    change.flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(el.textContent).toContain('Password changed.');
    expect(auth.user()?.mustChangePassword).toBe(false);
  });
});
