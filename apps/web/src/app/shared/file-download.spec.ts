import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../core/auth.service';
import { authInterceptor } from '../core/auth.interceptor';
import { DownloadMenu, fileNameOf } from './file-download';

describe('DownloadMenu', () => {
  let saved: { name: string; href: string }[];

  beforeEach(() => {
    localStorage.setItem('pieng.language', 'pt-BR');
    TestBed.configureTestingModule({
      imports: [DownloadMenu],
      providers: [provideRouter([]), provideHttpClient(withInterceptors([authInterceptor])), provideHttpClientTesting()],
    });
    const auth = TestBed.inject(AuthService);
    auth.open.set(true);
    jest.spyOn(auth, 'token').mockReturnValue('the-access-token');
    saved = [];
    // jsdom has no object URLs nor downloads: record what the browser would have saved.
    Object.assign(URL, { createObjectURL: () => 'blob:export', revokeObjectURL: () => undefined });
    jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push({ name: this.download, href: this.href });
    });
  });
  afterEach(() => jest.restoreAllMocks());

  async function menu() {
    const fixture = TestBed.createComponent(DownloadMenu);
    fixture.componentRef.setInput('target', {
      operation: 'exportEnergy',
      query: { clientId: 1, from: '2026-11-01T03:00:00.000Z', to: '2026-12-01T02:59:59.999Z', interval: 'day' },
    });
    await fixture.whenStable();
    const button = (id: string) => (fixture.nativeElement as HTMLElement).querySelector(`[data-testid="${id}"]`) as HTMLButtonElement;
    return { fixture, button, http: TestBed.inject(HttpTestingController) };
  }

  it('downloads what is on screen in the console language, with the token, under the name the server gives', async () => {
    const { fixture, button, http } = await menu();
    button('download-csv').click();
    const req = http.expectOne((r) => r.url.startsWith('/api/exports/energy?'));
    expect(req.request.url).toBe(
      '/api/exports/energy?clientId=1&from=2026-11-01T03%3A00%3A00.000Z&to=2026-12-01T02%3A59%3A59.999Z&interval=day&format=csv&locale=pt-BR',
    );
    expect(req.request.headers.get('Authorization')).toBe('Bearer the-access-token');
    expect(req.request.responseType).toBe('blob');
    req.flush(new Blob(['\ufeffstart;kWh\r\n']), {
      headers: { 'Content-Disposition': 'attachment; filename="energy_client-1_2026-11-01T0000_2026-12-01T0000_day.csv"' },
    });
    await fixture.whenStable();
    expect(saved).toEqual([{ name: 'energy_client-1_2026-11-01T0000_2026-12-01T0000_day.csv', href: 'blob:export' }]);
    button('download-xlsx').click();
    expect(http.expectOne((r) => r.url.startsWith('/api/exports/energy?')).request.url).toContain('&format=xlsx&locale=pt-BR');
  });

  it("shows the API's message when the file is refused", async () => {
    const { fixture, button, http } = await menu();
    button('download-csv').click();
    const body = new Blob(
      [JSON.stringify({ statusCode: 400, message: 'resolution: raw exports cover at most 400 days', errors: [{ field: 'resolution', message: 'x' }] })],
      { type: 'application/json' },
    );
    http.expectOne((r) => r.url.startsWith('/api/exports/energy?')).flush(body, { status: 400, statusText: 'Bad Request' });
    // The error body arrives as a Blob, read asynchronously (FileReader): wait for the message to show.
    const shown = () => (fixture.nativeElement as HTMLElement).querySelector('[data-testid="download-error"]')?.textContent ?? null;
    for (let i = 0; i < 100 && shown() !== 'resolution: raw exports cover at most 400 days'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      await fixture.whenStable();
    }
    expect(shown()).toBe('resolution: raw exports cover at most 400 days');
    expect(saved).toEqual([]);
  });

  it('reads the file name of Content-Disposition', () => {
    expect(fileNameOf('attachment; filename="report_client-3_2026-10_pt-BR.pdf"', 'x.pdf')).toBe('report_client-3_2026-10_pt-BR.pdf');
    expect(fileNameOf(null, 'x.pdf')).toBe('x.pdf');
  });
});
