import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { ApiBody, ApiResponse, PiengApi } from '@pieng/api-client';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';
import { formError } from '../../shared/api-error';
import { ConfirmPanel } from '../../shared/confirm-panel';

type User = ApiResponse<'listUsers'>[number];
type Role = User['role'];
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
/** The server's minimum; it checks again and answers with its own words. */
const MIN_PASSWORD = 10;

/** Accounts: list, create with a role and a client, disable or enable, reset a password, delete. Operators see their client's users. */
@Component({
  selector: 'pm-users-page',
  imports: [ReactiveFormsModule, ConfirmPanel],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './users.page.html',
  styles: `
    form {
      display: flex;
      flex-direction: column;
      gap: 0.75rem;
    }
    td.actions {
      white-space: nowrap;
    }
    td.actions button {
      margin: 0 0.3rem 0.3rem 0;
    }
    .reset {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: flex-end;
    }
  `,
})
export class UsersPage {
  private readonly api = inject(PiengApi);
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly minPassword = MIN_PASSWORD;

  protected readonly clients = toSignal(this.api.listClients(), { initialValue: [] });
  protected readonly users = signal<User[]>([]);
  protected readonly error = signal<{ message: string; fields: Record<string, string> } | null>(null);
  protected readonly done = signal<string | null>(null);
  /** The user whose password is being reset, and the error of that attempt. */
  protected readonly resetting = signal<User | null>(null);
  protected readonly resetError = signal<string | null>(null);
  /** The user whose deletion waits for confirmation, and why the last try failed. */
  protected readonly deleting = signal<User | null>(null);
  protected readonly deleteError = signal<string | null>(null);

  /** Nobody grants a role above their own. */
  protected readonly roles = computed(() => {
    const own = this.auth.user()?.role;
    return own ? ROLES.slice(0, ROLES.indexOf(own) + 1) : ROLES;
  });
  /** Only platform admins create platform staff; a client's operator creates users of that client. */
  protected readonly mayCreateStaff = computed(() => this.auth.open() || (this.auth.isStaff() && this.auth.user()?.role === 'admin'));

  protected readonly form = inject(FormBuilder).nonNullable.group({
    email: ['', [Validators.required, Validators.email]],
    password: ['', [Validators.required, Validators.minLength(MIN_PASSWORD)]],
    role: ['viewer' as Role],
    // No default: a user without a client is platform staff and sees every client, so that is chosen, never fallen into.
    clientId: ['' as number | null | ''],
  });
  protected readonly resetForm = inject(FormBuilder).nonNullable.group({ password: ['', [Validators.required, Validators.minLength(MIN_PASSWORD)]] });

  constructor() {
    this.load();
  }

  protected roleLabel(role: Role): string {
    return this.t(`role.${role}` as MessageKey);
  }

  protected clientName(id: number | null): string {
    if (id === null) return this.t('common.noClient');
    return this.clients().find((c) => c.id === id)?.name ?? `#${id}`;
  }

  protected isSelf(user: User): boolean {
    return this.auth.user()?.id === user.id;
  }

  /** The error above the button: what no field shows beside itself (a field shows its own once). */
  protected readonly formMessage = computed(() => {
    const e = this.error();
    if (!e) return null;
    const shown = new Set(['email', 'password', 'role', ...(this.auth.isStaff() ? ['clientId'] : [])]);
    const elsewhere = Object.entries(e.fields).filter(([field]) => !shown.has(field));
    if (Object.keys(e.fields).length === 0) return e.message || null;
    return elsewhere.length ? elsewhere.map(([, message]) => message).join(' ') : null;
  });

  protected fieldError(field: string): string | null {
    return this.error()?.fields[field] ?? null;
  }

  protected create(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const v = this.form.getRawValue();
    const ownClient = this.auth.user()?.clientId ?? null;
    if (ownClient === null && v.clientId === '') {
      this.error.set({ message: '', fields: { clientId: this.t('users.clientRequired') } });
      return;
    }
    // The last attempt's errors go: this one answers for itself.
    this.error.set(null);
    const body: ApiBody<'createUser'> = {
      email: v.email.trim(),
      password: v.password,
      role: v.role,
      clientId: ownClient ?? (v.clientId === '' ? null : v.clientId),
    };
    this.api.createUser({ body }).subscribe({
      next: (user) => {
        this.error.set(null);
        this.done.set(this.t('users.created', { email: user.email }));
        // The next user's client is chosen again: platform staff is never carried over.
        this.form.reset({ role: 'viewer', clientId: '' });
        this.load();
      },
      error: (e: unknown) => this.error.set(formError(e)),
    });
  }

  protected setActive(user: User, active: boolean): void {
    this.api
      .updateUser({ path: { id: user.id }, body: { active } })
      .subscribe({ next: () => this.load(), error: (e: unknown) => this.error.set(formError(e)) });
  }

  protected askDelete(user: User): void {
    this.resetting.set(null);
    this.deleteError.set(null);
    this.deleting.set(user);
  }

  protected confirmDelete(user: User): void {
    this.api.deleteUser({ path: { id: user.id } }).subscribe({
      next: () => {
        this.deleting.set(null);
        this.users.update((all) => all.filter((u) => u.id !== user.id));
      },
      // A 403 (a role above yours) or 5xx is in the banner already: shown once.
      error: (e: unknown) => this.deleteError.set(formError(e)?.message ?? null),
    });
  }

  protected startReset(user: User): void {
    this.deleting.set(null);
    this.resetting.set(user);
    this.resetError.set(null);
    this.resetForm.reset({ password: '' });
  }

  protected saveReset(): void {
    const user = this.resetting();
    if (!user) return;
    if (this.resetForm.invalid) {
      this.resetForm.markAllAsTouched();
      return;
    }
    this.api.updateUser({ path: { id: user.id }, body: { password: this.resetForm.getRawValue().password } }).subscribe({
      next: () => {
        this.resetting.set(null);
        this.done.set(this.t('users.passwordReset', { email: user.email }));
      },
      error: (e: unknown) => this.resetError.set(formError(e)?.message ?? null),
    });
  }

  private load(): void {
    this.api.listUsers().subscribe((users) => this.users.set(users));
  }
}
