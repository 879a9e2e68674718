import { TestBed } from '@angular/core/testing';
import { I18n, preferredLanguage } from './i18n.service';
import { EN, PT_BR } from './translations';

describe('I18n', () => {
  beforeEach(() => localStorage.clear());

  it('puts Portuguese first when the browser prefers any Portuguese, English otherwise', () => {
    expect(preferredLanguage(['pt-BR', 'en-US'])).toBe('pt-BR');
    expect(preferredLanguage(['pt-PT'])).toBe('pt-BR');
    expect(preferredLanguage(['de-DE', 'pt'])).toBe('pt-BR');
    expect(preferredLanguage(['en-GB', 'pt-BR'])).toBe('en');
    expect(preferredLanguage(['fr-FR'])).toBe('en');
  });

  it('has every message in both languages, none left empty, with the same placeholders', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(EN) as Array<keyof typeof EN>) {
      expect(EN[key].trim()).not.toBe('');
      expect(PT_BR[key].trim()).not.toBe('');
      expect([key, placeholders(PT_BR[key])]).toEqual([key, placeholders(EN[key])]);
    }
  });

  it('remembers the chosen language and fills placeholders', async () => {
    const i18n = TestBed.inject(I18n);
    i18n.setLanguage('pt-BR');
    TestBed.tick();
    expect(localStorage.getItem('pieng.language')).toBe('pt-BR');
    expect(document.documentElement.lang).toBe('pt-BR');
    expect(i18n.t('device.testReadOk', { ms: 42 })).toBe('Lido em 42 ms');
    expect(i18n.number(1234.5, 1)).toBe('1.234,5');
    TestBed.resetTestingModule();
    expect(TestBed.inject(I18n).language()).toBe('pt-BR');
  });
});
