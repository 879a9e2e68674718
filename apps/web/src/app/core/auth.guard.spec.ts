import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, Router, RouterStateSnapshot, UrlTree, provideRouter } from '@angular/router';
import { authGuard } from './auth.guard';
import { AuthService } from './auth.service';

describe('authGuard', () => {
  const run = (url: string) => TestBed.runInInjectionContext(() => authGuard({} as ActivatedRouteSnapshot, { url } as RouterStateSnapshot));

  beforeEach(() => TestBed.configureTestingModule({ providers: [provideRouter([])] }));

  it('lets a session through', async () => {
    jest.spyOn(TestBed.inject(AuthService), 'ensureSession').mockResolvedValue(true);
    await expect(run('/alarms')).resolves.toBe(true);
  });

  it('sends a visitor without a session to the login page, remembering the page asked for', async () => {
    jest.spyOn(TestBed.inject(AuthService), 'ensureSession').mockResolvedValue(false);
    const result = (await run('/devices/3')) as UrlTree;
    expect(TestBed.inject(Router).serializeUrl(result)).toBe('/login?returnUrl=%2Fdevices%2F3');
  });
});
