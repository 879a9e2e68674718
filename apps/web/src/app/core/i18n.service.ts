import { DOCUMENT } from '@angular/common';
import { Injectable, computed, effect, inject, signal } from '@angular/core';
import { LANGUAGES, type Language } from '@pieng/shared';
import { EN, MessageKey, PT_BR } from './translations';

export { LANGUAGES, type Language };
const STORAGE_KEY = 'pieng.language';

/** Picks the first language the browser prefers that the console speaks; English otherwise. */
export function preferredLanguage(browserLanguages: readonly string[]): Language {
  for (const tag of browserLanguages) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('pt')) return 'pt-BR';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/**
 * Runtime language switch. Angular's compile-time i18n would need one build per language; a plant server serves
 * one build, and users switch without a reload, so the words live in two small dictionaries instead.
 */
@Injectable({ providedIn: 'root' })
export class I18n {
  private readonly document = inject(DOCUMENT);
  private readonly storage = this.document.defaultView?.localStorage;
  readonly language = signal<Language>(this.initialLanguage());
  private readonly dictionary = computed<Record<MessageKey, string>>(() => (this.language() === 'pt-BR' ? PT_BR : EN));
  /** Number and date formats follow the language. */
  readonly locale = computed(() => (this.language() === 'pt-BR' ? 'pt-BR' : 'en-GB'));

  constructor() {
    effect(() => {
      const language = this.language();
      this.document.documentElement.lang = language;
      this.storage?.setItem(STORAGE_KEY, language);
    });
  }

  /** The message for `key`, with `{name}` placeholders filled from `params`. Reads the language signal, so templates follow switches. */
  t(key: MessageKey, params?: Record<string, string | number>): string {
    let text = this.dictionary()[key] ?? key;
    if (params) for (const [name, value] of Object.entries(params)) text = text.replace(`{${name}}`, String(value));
    return text;
  }

  setLanguage(language: Language): void {
    this.language.set(language);
  }

  number(value: number | null | undefined, maximumFractionDigits = 2): string {
    if (value === null || value === undefined || !Number.isFinite(value)) return '—';
    return new Intl.NumberFormat(this.locale(), { maximumFractionDigits }).format(value);
  }

  dateTime(iso: string | number | null | undefined): string {
    if (iso === null || iso === undefined) return '—';
    return new Intl.DateTimeFormat(this.locale(), { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso));
  }

  private initialLanguage(): Language {
    const saved = this.storage?.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'pt-BR') return saved;
    const nav = this.document.defaultView?.navigator;
    return preferredLanguage(nav?.languages?.length ? nav.languages : [nav?.language ?? 'en']);
  }
}
