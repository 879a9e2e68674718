import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { App } from './app';
import { AuthService } from './core/auth.service';
import { I18n } from './core/i18n.service';

describe('App shell', () => {
  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({ imports: [App], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
  });

  it('shows navigation, the active alarm count and the user once signed in, and follows the language switch', async () => {
    const auth = TestBed.inject(AuthService);
    auth.user.set({ id: 1, email: 'ops@plant.test', role: 'operator', clientId: null, mustChangePassword: false });
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    await new Promise((resolve) => setTimeout(resolve, 5)); // the badge's first poll is on a timer
    const http = TestBed.inject(HttpTestingController);
    http.expectOne('/api/alarms/events/counts').flush({ activeUnacknowledged: 2, activeAcknowledged: 1, shelved: 0 });
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    // The counter shows the active unacknowledged events; the acknowledged active ones apart.
    expect(el.querySelector('[data-testid="active-alarm-count"]')?.textContent?.trim()).toBe('2');
    expect(el.querySelector('[data-testid="acknowledged-alarm-count"]')?.textContent?.trim()).toBe('1');
    expect(el.querySelector('nav')?.textContent).toContain('Devices');
    expect(el.textContent).toContain('ops@plant.test');
    TestBed.inject(I18n).setLanguage('pt-BR');
    await fixture.whenStable();
    expect(el.querySelector('nav')?.textContent).toContain('Dispositivos');
    expect(document.documentElement.lang).toBe('pt-BR');
  });

  it.each([
    { who: 'a viewer', role: 'viewer' as const, clientId: 4, links: [] },
    { who: "a client's operator", role: 'operator' as const, clientId: 4, links: ['Users', 'API keys'] },
    { who: 'a platform operator', role: 'operator' as const, clientId: null, links: ['Users', 'API keys', 'Forwarding'] },
    { who: 'a platform admin', role: 'admin' as const, clientId: null, links: ['Users', 'API keys', 'Forwarding'] },
  ])('links the administration pages that $who may use', async ({ role, clientId, links }) => {
    TestBed.inject(AuthService).user.set({ id: 1, email: 'someone@plant.test', role, clientId, mustChangePassword: false });
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const names = Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('nav a')).map((a) => a.textContent?.trim() ?? '');
    expect(names.filter((n) => ['Users', 'API keys', 'Forwarding'].includes(n))).toEqual(links);
  });

  it('shows no navigation before sign-in', async () => {
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('nav')).toBeNull();
  });
});
