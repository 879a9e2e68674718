import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { ForwardingPage } from './forwarding.page';

const status = {
  enabled: true,
  target: 'http://slave.example:3000/api/ingest',
  pending: 1234,
  oldestPendingAt: '2026-01-01T00:00:00Z',
  oldestPendingAgeSec: 75,
  lastSuccessAt: '2026-01-01T00:00:00Z',
  lastAttemptAt: '2026-01-01T00:01:00Z',
  lastError: 'connect ECONNREFUSED slave.example:3000',
  lastErrorAt: '2026-01-01T00:01:00Z',
  consecutiveFailures: 3,
  nextAttemptAt: null,
  deadLettered: 7,
  lastDeadLetterError: '404: device 9 not found',
  outboxBytes: 2048,
  outboxMaxBytes: 104857600,
  full: false,
  overflowDevices: 0,
  forwardedSinceStart: 10,
};

describe('ForwardingPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [ForwardingPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
  });

  it('shows target, backlog, last error and dead letters, and retries the dead letters', async () => {
    const fixture = TestBed.createComponent(ForwardingPage);
    await fixture.whenStable();
    http.expectOne('/api/forwarding/status').flush(status);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('[data-testid="forwarding-target"]')?.textContent).toBe('http://slave.example:3000/api/ingest');
    expect(el.querySelector('[data-testid="forwarding-pending"]')?.textContent).toBe('1,234');
    expect(el.querySelector('[data-testid="forwarding-dead"]')?.textContent).toBe('7');
    expect(el.querySelector('[data-testid="forwarding-last-error"]')?.textContent).toContain('ECONNREFUSED');
    expect(el.querySelector('[data-testid="forwarding-dead-error"]')?.textContent).toBe('404: device 9 not found');
    expect(el.querySelector('[data-testid="forwarding-off"]')).toBeNull();

    (el.querySelector('[data-testid="retry-dead-letters"]') as HTMLButtonElement).click();
    const retry = http.expectOne('/api/forwarding/dead-letters/retry');
    expect(retry.request.method).toBe('POST');
    retry.flush({ requeued: 7 });
    http.expectOne('/api/forwarding/status').flush({ ...status, deadLettered: 0, pending: 1241 });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="forwarding-message"]')?.textContent).toBe('7 readings put back in the queue.');
    expect((el.querySelector('[data-testid="retry-dead-letters"]') as HTMLButtonElement).disabled).toBe(true);
  });

  it('says when forwarding is off', async () => {
    const fixture = TestBed.createComponent(ForwardingPage);
    await fixture.whenStable();
    http.expectOne('/api/forwarding/status').flush({ ...status, enabled: false, target: null, lastError: null, deadLettered: 0, lastDeadLetterError: null });
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('[data-testid="forwarding-off"]')?.textContent).toContain('FORWARDER_URL');
    expect(el.querySelector('[data-testid="forwarding-target"]')?.textContent).toBe('—');
  });
});
