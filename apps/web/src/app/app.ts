import { ChangeDetectionStrategy, Component, effect, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { AlarmCountService } from './core/alarm-count.service';
import { AuthService } from './core/auth.service';
import { I18n, LANGUAGES, Language } from './core/i18n.service';
import { NoticeService } from './core/notice.service';
import { ThemeService } from './core/theme.service';

/** The console's frame: navigation, active-alarm count, language and theme switches, the message banner. */
@Component({
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  selector: 'pm-root',
  templateUrl: './app.html',
  styleUrl: './app.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  protected readonly i18n = inject(I18n);
  protected readonly theme = inject(ThemeService);
  protected readonly auth = inject(AuthService);
  protected readonly notice = inject(NoticeService);
  protected readonly alarms = inject(AlarmCountService);
  protected readonly languages = LANGUAGES;
  protected readonly t = this.i18n.t.bind(this.i18n);

  constructor() {
    // The alarm badge needs a session; it starts with the session and stops at logout.
    effect(() => (this.auth.signedIn() ? this.alarms.start() : this.alarms.stop()));
  }

  protected setLanguage(value: string): void {
    this.i18n.setLanguage(value as Language);
  }
}
