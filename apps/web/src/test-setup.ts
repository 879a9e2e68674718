import { setupZonelessTestEnv } from 'jest-preset-angular/setup-env/zoneless';

// Browser tests (*.system.spec.ts) run in the node environment: they drive a real chromium, not Angular's TestBed.
if (typeof window !== 'undefined') {
  setupZonelessTestEnv({
    errorOnUnknownElements: true,
    errorOnUnknownProperties: true,
  });
}
