import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PiengApi } from './generated/api.service';
import { API_OPERATIONS } from './generated/operations';
import { API_BASE_URL, apiUrl } from './url';

describe('apiUrl', () => {
  it('fills path parameters and leaves empty query values out', () => {
    expect(apiUrl('', 'getDevice', { path: { id: 7 } })).toBe('/api/devices/7');
    expect(apiUrl('http://plant:3000', 'getSeries', { query: { deviceId: 3, metrics: 'voltage,power', from: undefined, points: 120 } })).toBe(
      'http://plant:3000/api/metrics/series?deviceId=3&metrics=voltage%2Cpower&points=120',
    );
    expect(apiUrl('', 'listAlarmEvents', { query: { active: true, acknowledged: false } })).toBe('/api/alarms/events?active=true&acknowledged=false');
  });

  it('refuses to build a URL with a missing path parameter', () => {
    expect(() => apiUrl('', 'getDevice', { path: {} } as never)).toThrow('missing path parameter id');
  });
});

describe('PiengApi', () => {
  beforeEach(() =>
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), { provide: API_BASE_URL, useValue: '/base' }] }),
  );

  it('sends each operation with its method, path, query and body', () => {
    const api = TestBed.inject(PiengApi);
    const http = TestBed.inject(HttpTestingController);
    let created: unknown;
    api.createAlarmRule({ body: { clientId: 1, name: 'Overvoltage', metric: 'voltage', operator: '>', threshold: 242 } }).subscribe((r) => (created = r));
    const post = http.expectOne('/base/api/alarms/rules');
    expect(post.request.method).toBe('POST');
    expect(post.request.body).toEqual({ clientId: 1, name: 'Overvoltage', metric: 'voltage', operator: '>', threshold: 242 });
    post.flush({ id: 5 });
    expect(created).toEqual({ id: 5 });

    api.acknowledgeAlarmEvent({ path: { id: 9 }, body: { comment: 'seen' } }).subscribe();
    const ack = http.expectOne('/base/api/alarms/events/9/ack');
    expect([ack.request.method, ack.request.body]).toEqual(['POST', { comment: 'seen' }]);
    api.deleteDevice({ path: { id: 2 }, query: { purge: true } }).subscribe();
    expect(http.expectOne('/base/api/devices/2?purge=true').request.method).toBe('DELETE');
    http.verify();
  });
});

describe('generated files', () => {
  it('carry the do-not-edit header and cover every operation of the committed document', () => {
    const root = join(__dirname, '../..');
    const doc = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as {
      'x-generated': string;
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(doc['x-generated']).toMatch(/^DO NOT EDIT/);
    for (const file of ['schema.ts', 'operations.ts', 'api.service.ts']) {
      expect(readFileSync(join(__dirname, 'generated', file), 'utf8')).toMatch(/^\/\/ DO NOT EDIT/);
    }
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(Object.keys(API_OPERATIONS).sort()).toEqual([...ids].sort());
  });
});
