import { TestBed } from '@angular/core/testing';
import { ThemeService } from './theme.service';

describe('ThemeService', () => {
  beforeEach(() => localStorage.clear());

  it('toggles the theme on <html> and remembers it', () => {
    const theme = TestBed.inject(ThemeService);
    expect(theme.theme()).toBe('light'); // jsdom prefers no dark scheme
    theme.toggle();
    TestBed.tick();
    expect(document.documentElement.dataset['theme']).toBe('dark');
    expect(localStorage.getItem('pieng.theme')).toBe('dark');
    TestBed.resetTestingModule();
    expect(TestBed.inject(ThemeService).theme()).toBe('dark');
  });
});
