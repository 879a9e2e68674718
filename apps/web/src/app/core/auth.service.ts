import { DOCUMENT } from '@angular/common';
import { HttpErrorResponse } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { ApiResponse, PiengApi } from '@pieng/api-client';
import { Observable, catchError, finalize, firstValueFrom, map, of, shareReplay, tap } from 'rxjs';

export type SessionUser = ApiResponse<'getMe'>;
type Tokens = ApiResponse<'login'>;

/** Where the refresh token waits across reloads of this tab (never across tabs or after closing it). */
const REFRESH_KEY = 'pieng.refresh';

/**
 * The session. The access token lives only in memory; the rotating refresh token is kept in this tab's
 * sessionStorage so a reload (or a deep link typed into the same tab) does not throw the user back to the login page.
 * `open` is for an API that has no auth module (older servers, or auth not deployed yet): every call then goes out
 * without a token and the console shows no login at all.
 */
@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly api = inject(PiengApi);
  private readonly router = inject(Router);
  private readonly storage = inject(DOCUMENT).defaultView?.sessionStorage;

  private readonly accessToken = signal<string | null>(null);
  readonly user = signal<SessionUser | null>(null);
  /** true when the server answered that it has no login endpoint: the console runs without a session. */
  readonly open = signal(false);
  readonly signedIn = computed(() => this.user() !== null || this.open());
  /** Viewers read only; operators and admins change devices, rules and acknowledgements. */
  readonly canEdit = computed(() => this.open() || (this.user()?.role ?? 'viewer') !== 'viewer');
  /** Platform staff (no client) see and create clients. */
  readonly isStaff = computed(() => this.open() || (this.user() !== null && this.user()?.clientId === null));

  private refreshing: Observable<string | null> | null = null;

  token(): string | null {
    return this.accessToken();
  }

  login(email: string, password: string): Observable<SessionUser> {
    return this.api.login({ body: { email, password } }).pipe(
      tap((tokens) => this.store(tokens)),
      map((tokens) => tokens.user),
    );
  }

  /**
   * One refresh at a time: concurrent 401s wait for the same request, because the refresh token rotates and a
   * second use of the old one would end the session.
   */
  refresh(): Observable<string | null> {
    const refreshToken = this.storage?.getItem(REFRESH_KEY);
    if (!refreshToken) return of(null);
    this.refreshing ??= this.api.refreshSession({ body: { refreshToken } }).pipe(
      map((tokens) => {
        this.store(tokens);
        return tokens.accessToken;
      }),
      catchError(() => {
        this.forget();
        return of(null);
      }),
      finalize(() => (this.refreshing = null)),
      shareReplay(1),
    );
    return this.refreshing;
  }

  /** Restores the session after a reload, or finds out the API needs none. Used by the route guard. */
  async ensureSession(): Promise<boolean> {
    if (this.signedIn()) return true;
    if (await firstValueFrom(this.refresh())) return true;
    try {
      // Without a token, an API with auth answers 401; one without auth has no /auth/me (404).
      await firstValueFrom(this.api.getMe());
      this.open.set(true);
      return true;
    } catch (error) {
      if (error instanceof HttpErrorResponse && error.status === 404) {
        this.open.set(true);
        return true;
      }
      return false;
    }
  }

  logout(): void {
    const refreshToken = this.storage?.getItem(REFRESH_KEY);
    this.forget();
    if (refreshToken)
      this.api
        .logout({ body: { refreshToken } })
        .pipe(catchError(() => of(null)))
        .subscribe();
    void this.router.navigate(['/login']);
  }

  /** Drops the session and sends the user to the login page, remembering where they were. */
  expire(returnUrl: string): void {
    this.forget();
    void this.router.navigate(['/login'], { queryParams: { returnUrl, expired: 1 } });
  }

  private store(tokens: Tokens): void {
    this.accessToken.set(tokens.accessToken);
    this.user.set(tokens.user);
    this.storage?.setItem(REFRESH_KEY, tokens.refreshToken);
  }

  private forget(): void {
    this.accessToken.set(null);
    this.user.set(null);
    this.storage?.removeItem(REFRESH_KEY);
  }
}
