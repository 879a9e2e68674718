import { Injectable, signal } from '@angular/core';
import type { MessageKey } from './translations';

/** The one message banner at the top of every page (errors the user should know about). Holds a key, so it follows language switches. */
@Injectable({ providedIn: 'root' })
export class NoticeService {
  readonly message = signal<MessageKey | null>(null);

  show(key: MessageKey): void {
    this.message.set(key);
  }

  clear(): void {
    this.message.set(null);
  }
}
