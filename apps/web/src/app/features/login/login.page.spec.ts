import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { LoginPage } from './login.page';

describe('LoginPage', () => {
  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({ imports: [LoginPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
  });

  async function fillAndSubmit(password: string) {
    const fixture = TestBed.createComponent(LoginPage);
    fixture.componentRef.setInput('returnUrl', '/alarms');
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const email = el.querySelector<HTMLInputElement>('input[type=email]');
    const pass = el.querySelector<HTMLInputElement>('input[type=password]');
    if (!email || !pass) throw new Error('login fields missing');
    email.value = 'ops@plant.test';
    email.dispatchEvent(new Event('input'));
    pass.value = password;
    pass.dispatchEvent(new Event('input'));
    el.querySelector('form')?.dispatchEvent(new Event('submit'));
    return { fixture, el };
  }

  it('labels its fields and goes back where the user was after signing in', async () => {
    const navigate = jest.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    const { el } = await fillAndSubmit('secret');
    expect(Array.from(el.querySelectorAll('label')).map((l) => l.textContent?.trim().split('\n')[0])).toEqual(expect.arrayContaining(['E-mail', 'Password']));
    TestBed.inject(HttpTestingController)
      .expectOne('/api/auth/login')
      .flush({
        accessToken: 'a',
        refreshToken: 'r',
        expiresIn: 900,
        user: { id: 1, email: 'ops@plant.test', role: 'admin', clientId: null, mustChangePassword: false },
      });
    expect(navigate).toHaveBeenCalledWith('/alarms');
  });

  it('says so when the password is wrong', async () => {
    const { fixture, el } = await fillAndSubmit('wrong');
    TestBed.inject(HttpTestingController)
      .expectOne('/api/auth/login')
      .flush({ statusCode: 401, message: 'Invalid credentials' }, { status: 401, statusText: 'Unauthorized' });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="login-error"]')?.textContent).toContain('E-mail or password is wrong.');
  });

  it('says how long to wait after too many failed sign-ins, from Retry-After', async () => {
    const { fixture, el } = await fillAndSubmit('wrong');
    TestBed.inject(HttpTestingController)
      .expectOne('/api/auth/login')
      .flush(
        { statusCode: 429, message: 'Too many failed logins; try again in 15 minute(s)' },
        { status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '842' } },
      );
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="login-error"]')?.textContent?.trim()).toBe('Too many failed sign-ins. Try again in 15 min.');
  });
});
