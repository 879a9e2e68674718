import { HttpErrorResponse, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { PiengApi } from '@pieng/api-client';
import { authInterceptor } from './auth.interceptor';
import { AuthService } from './auth.service';
import { NoticeService } from './notice.service';

const user = { id: 1, email: 'ops@plant.test', role: 'operator' as const, clientId: null, mustChangePassword: false };
const tokens = (n: number) => ({ accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresIn: 900, user });

describe('authInterceptor and AuthService', () => {
  let http: HttpTestingController;
  let api: PiengApi;
  let auth: AuthService;

  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: [provideRouter([]), provideHttpClient(withInterceptors([authInterceptor])), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    api = TestBed.inject(PiengApi);
    auth = TestBed.inject(AuthService);
  });

  afterEach(() => http.verify());

  function logIn(): void {
    auth.login('ops@plant.test', 'secret').subscribe();
    const login = http.expectOne('/api/auth/login');
    expect(login.request.headers.has('Authorization')).toBe(false);
    expect(login.request.body).toEqual({ email: 'ops@plant.test', password: 'secret' });
    login.flush(tokens(1));
  }

  it('keeps the access token in memory only and sends it as a bearer token', () => {
    logIn();
    expect(auth.user()?.email).toBe('ops@plant.test');
    expect(sessionStorage.getItem('pieng.refresh')).toBe('refresh-1');
    expect(JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })).not.toContain('access-1');
    api.listClients().subscribe();
    expect(http.expectOne('/api/clients').request.headers.get('Authorization')).toBe('Bearer access-1');
  });

  it('sends no Authorization header while there is no session (an API without auth)', () => {
    api.listClients().subscribe();
    expect(http.expectOne('/api/clients').request.headers.has('Authorization')).toBe(false);
  });

  it('refreshes once for concurrent 401s and retries each call with the new token', () => {
    logIn();
    const results: unknown[] = [];
    api.listClients().subscribe((r) => results.push(r));
    api.listDevices().subscribe((r) => results.push(r));
    http.expectOne('/api/clients').flush({ statusCode: 401, message: 'expired' }, { status: 401, statusText: 'Unauthorized' });
    http.expectOne('/api/devices').flush({ statusCode: 401, message: 'expired' }, { status: 401, statusText: 'Unauthorized' });
    const refresh = http.expectOne('/api/auth/refresh');
    expect(refresh.request.body).toEqual({ refreshToken: 'refresh-1' });
    refresh.flush(tokens(2));
    const clients = http.expectOne('/api/clients');
    const devices = http.expectOne('/api/devices');
    expect(clients.request.headers.get('Authorization')).toBe('Bearer access-2');
    expect(devices.request.headers.get('Authorization')).toBe('Bearer access-2');
    clients.flush([]);
    devices.flush([]);
    expect(results).toEqual([[], []]);
    expect(sessionStorage.getItem('pieng.refresh')).toBe('refresh-2');
  });

  it('sends the user to the login page when the refresh fails', () => {
    const navigate = jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    logIn();
    let failed = false;
    api.listClients().subscribe({ error: () => (failed = true) });
    http.expectOne('/api/clients').flush({}, { status: 401, statusText: 'Unauthorized' });
    http.expectOne('/api/auth/refresh').flush({ statusCode: 401, message: 'revoked' }, { status: 401, statusText: 'Unauthorized' });
    expect(failed).toBe(true);
    expect(auth.user()).toBeNull();
    expect(sessionStorage.getItem('pieng.refresh')).toBeNull();
    expect(navigate).toHaveBeenCalledWith(['/login'], expect.objectContaining({ queryParams: expect.objectContaining({ expired: 1 }) }));
  });

  it.each([
    [403, 'error.forbidden'],
    [429, 'error.tooMany'],
    [500, 'error.server'],
    [503, 'error.server'],
    [507, 'error.diskFull'],
  ])('turns %i into the banner message %s and still fails the call', (status, key) => {
    let error: unknown;
    api.listClients().subscribe({ error: (e: unknown) => (error = e) });
    http.expectOne('/api/clients').flush({ statusCode: status, message: 'x' }, { status, statusText: 'x' });
    expect(TestBed.inject(NoticeService).message()).toBe(key);
    expect((error as HttpErrorResponse).status).toBe(status);
  });

  it("leaves a meter's 502/504 to the page that asked for the read; a proxy's 502 without the API's body is a banner", () => {
    let error: unknown;
    api.pollDevice({ path: { id: 7 } }).subscribe({ error: (e: unknown) => (error = e) });
    http
      .expectOne('/api/devices/7/poll')
      .flush({ statusCode: 504, message: 'meter 1 on 10.0.0.5:502 did not answer within 1000 ms' }, { status: 504, statusText: 'Gateway Timeout' });
    expect(TestBed.inject(NoticeService).message()).toBeNull();
    expect((error as HttpErrorResponse).error.message).toContain('10.0.0.5:502');

    api.pollDevice({ path: { id: 7 } }).subscribe({ error: () => undefined });
    http.expectOne('/api/devices/7/poll').flush('<html>502 Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    expect(TestBed.inject(NoticeService).message()).toBe('error.server');
  });

  it('leaves a refused login (429) to the login page, which says how long to wait', () => {
    let error: unknown;
    auth.login('ops@plant.test', 'wrong').subscribe({ error: (e: unknown) => (error = e) });
    http
      .expectOne('/api/auth/login')
      .flush({ statusCode: 429, message: 'Too many failed logins' }, { status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '60' } });
    expect(TestBed.inject(NoticeService).message()).toBeNull();
    expect((error as HttpErrorResponse).headers.get('Retry-After')).toBe('60');
  });

  it('leaves validation errors to the page (no banner)', () => {
    api.createClient({ body: { name: '' } }).subscribe({ error: () => undefined });
    http.expectOne('/api/clients').flush({ statusCode: 400, message: 'name must not be empty' }, { status: 400, statusText: 'Bad Request' });
    expect(TestBed.inject(NoticeService).message()).toBeNull();
  });

  it('restores a session from the tab-scoped refresh token after a reload', async () => {
    sessionStorage.setItem('pieng.refresh', 'refresh-7');
    const ready = auth.ensureSession();
    http.expectOne('/api/auth/refresh').flush(tokens(8));
    await expect(ready).resolves.toBe(true);
    expect(auth.token()).toBe('access-8');
  });

  it('runs without a login against an API that has no auth endpoints (404), and asks for one when it answers 401', async () => {
    const open = auth.ensureSession();
    await Promise.resolve();
    http.expectOne('/api/auth/me').flush({}, { status: 404, statusText: 'Not Found' });
    await expect(open).resolves.toBe(true);
    expect(auth.open()).toBe(true);

    auth.open.set(false);
    const closed = auth.ensureSession();
    await Promise.resolve();
    http.expectOne('/api/auth/me').flush({}, { status: 401, statusText: 'Unauthorized' });
    await expect(closed).resolves.toBe(false);
  });

  it('logs out: forgets the session and revokes the refresh token on the server', () => {
    jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    logIn();
    auth.logout();
    expect(auth.user()).toBeNull();
    expect(auth.token()).toBeNull();
    expect(http.expectOne('/api/auth/logout').request.body).toEqual({ refreshToken: 'refresh-1' });
  });
});
