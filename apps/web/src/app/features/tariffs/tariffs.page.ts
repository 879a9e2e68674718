import { DOCUMENT } from '@angular/common';
import { HttpErrorResponse } from '@angular/common/http';
import { afterNextRender, ChangeDetectionStrategy, Component, computed, ElementRef, inject, Injector, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { ApiBody, ApiResponse, PiengApi } from '@pieng/api-client';
import { map, startWith } from 'rxjs';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import type { MessageKey } from '../../core/translations';
import { formError } from '../../shared/api-error';
import { TariffStrip } from './tariff-strip';
import {
  blankTariffForm,
  demandPostos,
  energyPostos,
  fractionToPercent,
  Modality,
  MODALITIES,
  QUARTER_HOURS,
  Tariff,
  tariffBody,
  tariffFormOf,
  TariffFormValue,
  WindowPosto,
  windowPostos,
} from './tariff-form';

type Client = ApiResponse<'listClients'>[number];
type Site = ApiResponse<'listSites'>[number];
type Device = ApiResponse<'listDevices'>[number];
type FormProblem = { message: string; fields: Record<string, string> } | null;

/** Time zones the browser knows, offered as suggestions (the API checks again). */
const TIME_ZONES: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * A client's sites (consumer units) and the tariff versions of the client or of one site, with each version's
 * working day drawn as a 24-hour strip. Everyone reads; a client's admins and platform admins write (the API's rule).
 */
@Component({
  selector: 'pm-tariffs-page',
  imports: [ReactiveFormsModule, TariffStrip],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './tariffs.page.html',
  styles: `
    form {
      display: flex;
      flex-direction: column;
      gap: 0.75rem;
    }
    fieldset {
      border: 1px solid var(--border);
      border-radius: 8px;
      padding: 0.5rem 0.75rem 0.75rem;
      margin: 0;
      min-width: 0;
    }
    legend {
      color: var(--muted);
      font-size: 0.85rem;
      padding: 0 0.3rem;
    }
    td.actions,
    .actions {
      white-space: nowrap;
    }
    .actions button {
      margin: 0 0.3rem 0.3rem 0;
    }
    tr.chosen td {
      background: var(--accent-soft);
    }
    input[type='number'] {
      width: 8rem;
    }
    textarea {
      min-height: 4rem;
    }
    .tariffs {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      flex-direction: column;
      gap: 0.75rem;
    }
    .tariff {
      border: 1px solid var(--border);
      border-radius: 8px;
      padding: 0.75rem;
    }
    .tariff.current {
      border-color: var(--accent);
    }
    .tariff header {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: baseline;
      justify-content: space-between;
      margin-bottom: 0.5rem;
    }
    .tariff dl {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr));
      gap: 0.25rem 0.75rem;
      margin: 0 0 0.5rem;
    }
    .tariff dt {
      color: var(--muted);
      font-size: 0.8rem;
    }
    .tariff dd {
      margin: 0;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      gap: 0.75rem;
      font-size: 0.8rem;
      color: var(--muted);
      margin: 0.25rem 0 0.75rem;
    }
    .legend i {
      display: inline-block;
      width: 0.8rem;
      height: 0.8rem;
      border-radius: 2px;
      vertical-align: -0.1rem;
      margin-right: 0.25rem;
    }
    .legend .foraPonta {
      background: var(--ok);
      opacity: 0.55;
    }
    .legend .intermediario {
      background: var(--warn);
    }
    .legend .ponta {
      background: var(--danger);
    }
    .window {
      align-items: flex-end;
      margin-bottom: 0.5rem;
    }
  `,
})
export class TariffsPage {
  private readonly api = inject(PiengApi);
  private readonly window = inject(DOCUMENT).defaultView;
  private readonly fb = inject(FormBuilder).nonNullable;
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);
  protected readonly auth = inject(AuthService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t.bind(this.i18n);
  protected readonly modalities = MODALITIES;
  protected readonly quarterHours = QUARTER_HOURS;
  protected readonly timeZones = TIME_ZONES;
  protected readonly energyPostos = energyPostos;
  protected readonly demandPostos = demandPostos;
  protected readonly windowPostos = windowPostos;
  protected readonly today = localToday();

  /** Sites and tariffs are written by a client's admins and by platform admins; operators and viewers read. */
  protected readonly mayWrite = computed(() => this.auth.open() || this.auth.user()?.role === 'admin');

  protected readonly clients = signal<Client[]>([]);
  protected readonly clientId = signal<number | null>(null);
  protected readonly sites = signal<Site[]>([]);
  protected readonly devices = signal<Device[]>([]);
  protected readonly sitesError = signal<string | null>(null);
  /** Whose tariffs are shown: the client's (null) or one site's. */
  protected readonly ownerSiteId = signal<number | null>(null);
  protected readonly tariffs = signal<Tariff[]>([]);
  protected readonly tariffsError = signal<string | null>(null);
  /** The version in force today: the latest validFrom on or before today. */
  protected readonly currentTariffId = computed(() => {
    const inForce = this.tariffs().filter((t) => t.validFrom <= this.today);
    return inForce.length ? inForce.reduce((a, b) => (b.validFrom > a.validFrom ? b : a)).id : null;
  });

  protected readonly editingSite = signal<Site | 'new' | null>(null);
  protected readonly siteError = signal<FormProblem>(null);
  protected readonly siteForm = this.fb.group({
    name: [''],
    address: [''],
    timezone: [''],
    contractedForaPonta: [null as number | null],
    contractedPonta: [null as number | null],
    readingDay: [null as number | null],
    mainDeviceId: [null as number | null],
  });

  protected readonly editingTariff = signal<Tariff | 'new' | null>(null);
  protected readonly tariffError = signal<FormProblem>(null);
  protected readonly tariffForm = this.fb.group({
    name: [''],
    modality: ['branca' as Modality],
    validFrom: [''],
    energyForaPonta: [null as number | null],
    energyIntermediario: [null as number | null],
    energyPonta: [null as number | null],
    energyReactiveExcess: [null as number | null],
    demandForaPonta: [null as number | null],
    demandPonta: [null as number | null],
    windows: this.fb.array([this.windowGroup('ponta', '17:00', '20:00')]),
    holidaysMode: ['BR' as 'BR' | 'list'],
    holidayList: [''],
    // Checked here as well: the server's words would speak of fractions ("must not be greater than 1").
    icmsPercent: [null as number | null, [Validators.min(0), Validators.max(100)]],
    pisPercent: [null as number | null, [Validators.min(0), Validators.max(100)]],
    cofinsPercent: [null as number | null, [Validators.min(0), Validators.max(100)]],
  });
  protected readonly formModality = toSignal(this.tariffForm.controls.modality.valueChanges, { initialValue: this.tariffForm.controls.modality.value });
  protected readonly formHolidaysMode = toSignal(this.tariffForm.controls.holidaysMode.valueChanges, {
    initialValue: this.tariffForm.controls.holidaysMode.value,
  });
  /** The windows being typed, drawn on the strip as they change. */
  protected readonly formWindows = toSignal(
    this.tariffForm.controls.windows.valueChanges.pipe(
      startWith(null),
      map(() => this.tariffForm.controls.windows.getRawValue()),
    ),
    { initialValue: [] },
  );

  constructor() {
    const own = this.auth.user()?.clientId ?? null;
    if (own !== null) this.selectClient(own);
    this.api.listClients().subscribe((clients) => {
      this.clients.set(clients);
      if (this.clientId() === null && clients.length) this.selectClient(clients[0].id);
    });
    // A modality without intermediário (or without windows) drops the windows it cannot have.
    this.tariffForm.controls.modality.valueChanges.subscribe((modality) => {
      const allowed = windowPostos(modality);
      const windows = this.tariffForm.controls.windows;
      for (let i = windows.length - 1; i >= 0; i--) if (!allowed.includes(windows.at(i).getRawValue().posto)) windows.removeAt(i);
    });
  }

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected clientName(id: number | null): string {
    return this.clients().find((c) => c.id === id)?.name ?? (id === null ? '' : `#${id}`);
  }

  protected deviceName(id: number | null): string {
    if (id === null) return this.t('sites.mainMeterNone');
    return this.devices().find((d) => d.id === id)?.name ?? `#${id}`;
  }

  protected siteName(id: number | null): string {
    return this.sites().find((s) => s.id === id)?.name ?? `#${id}`;
  }

  /** The devices that may be a site's main meter: its own. */
  protected devicesOf(site: Site | 'new' | null): Device[] {
    return site && site !== 'new' ? this.devices().filter((d) => d.siteId === site.id) : [];
  }

  protected number(value: number | null | undefined, digits = 4): string {
    return this.i18n.number(value, digits);
  }

  protected percent(fraction: number): string {
    return `${this.i18n.number(fractionToPercent(fraction), 4)} %`;
  }

  protected siteFieldError(field: string): string | null {
    return this.siteError()?.fields[field] ?? null;
  }

  protected tariffFieldError(field: string): string | null {
    return this.tariffError()?.fields[field] ?? null;
  }

  protected onClientChange(value: string): void {
    this.selectClient(Number(value));
  }

  protected onOwnerChange(value: string): void {
    this.ownerSiteId.set(value === '' ? null : Number(value));
    this.editingTariff.set(null);
    this.loadTariffs();
  }

  // --- sites ---

  protected startSite(site: Site | 'new'): void {
    this.siteError.set(null);
    this.editingSite.set(site);
    this.siteForm.reset(
      site === 'new'
        ? {}
        : {
            name: site.name,
            address: site.address ?? '',
            timezone: site.timezone ?? '',
            contractedForaPonta: site.contractedKW.foraPonta,
            contractedPonta: site.contractedKW.ponta,
            readingDay: site.readingDay,
            mainDeviceId: site.mainDeviceId,
          },
    );
    this.reveal('site-form');
  }

  protected saveSite(): void {
    const editing = this.editingSite();
    const clientId = this.clientId();
    if (!editing || clientId === null) return;
    const v = this.siteForm.getRawValue();
    const fields = {
      name: v.name.trim(),
      address: v.address.trim() || null,
      // Blank follows the client's time zone.
      timezone: v.timezone.trim() || null,
      contractedKW: { foraPonta: v.contractedForaPonta, ponta: v.contractedPonta },
      readingDay: v.readingDay,
    };
    const done = {
      next: () => {
        this.editingSite.set(null);
        this.siteError.set(null);
        this.loadSites();
      },
      error: (e: unknown) => this.siteError.set(formError(e)),
    };
    if (editing === 'new') {
      const body: ApiBody<'createSite'> = { clientId, ...fields };
      this.api.createSite({ body }).subscribe(done);
    } else {
      const body: ApiBody<'updateSite'> = { ...fields, mainDeviceId: v.mainDeviceId };
      this.api.updateSite({ path: { id: editing.id }, body }).subscribe(done);
    }
  }

  protected deleteSite(site: Site): void {
    if (!this.window?.confirm(this.t('sites.confirmDelete', { name: site.name }))) return;
    this.sitesError.set(null);
    this.api.deleteSite({ path: { id: site.id } }).subscribe({
      next: () => {
        if (this.ownerSiteId() === site.id) this.onOwnerChange('');
        const editing = this.editingSite();
        if (editing && editing !== 'new' && editing.id === site.id) this.editingSite.set(null);
        this.loadSites();
      },
      error: (e: unknown) => this.sitesError.set(formError(e)?.message ?? null),
    });
  }

  // --- tariffs ---

  protected startTariff(tariff: Tariff | 'new'): void {
    this.tariffError.set(null);
    this.editingTariff.set(tariff);
    this.fillTariffForm(tariff === 'new' ? blankTariffForm(this.today) : tariffFormOf(tariff));
    this.reveal('tariff-form');
  }

  /** A form opens below its list; on a phone it would open out of sight. */
  private reveal(testId: string): void {
    afterNextRender(() => this.host.nativeElement.querySelector(`[data-testid="${testId}"]`)?.scrollIntoView?.({ block: 'start', behavior: 'smooth' }), {
      injector: this.injector,
    });
  }

  protected percentOutOfRange(control: 'icmsPercent' | 'pisPercent' | 'cofinsPercent'): boolean {
    const c = this.tariffForm.controls[control];
    return c.invalid && c.touched;
  }

  protected addWindow(): void {
    const postos = windowPostos(this.tariffForm.controls.modality.value);
    if (postos.length) this.tariffForm.controls.windows.push(this.windowGroup(postos[0], '17:00', '20:00'));
  }

  protected removeWindow(index: number): void {
    this.tariffForm.controls.windows.removeAt(index);
  }

  protected saveTariff(): void {
    const editing = this.editingTariff();
    const clientId = this.clientId();
    if (!editing || clientId === null) return;
    if (this.tariffForm.invalid) {
      this.tariffForm.markAllAsTouched();
      return;
    }
    const terms = tariffBody(this.tariffForm.getRawValue() as TariffFormValue);
    const done = {
      next: () => {
        this.editingTariff.set(null);
        this.tariffError.set(null);
        this.loadTariffs();
      },
      error: (e: unknown) => this.tariffError.set(this.tariffProblem(e)),
    };
    if (editing === 'new') {
      const siteId = this.ownerSiteId();
      const body: ApiBody<'createTariff'> = { ...(siteId === null ? { clientId } : { siteId }), ...terms };
      this.api.createTariff({ body }).subscribe(done);
    } else {
      this.api.updateTariff({ path: { id: editing.id }, body: terms }).subscribe(done);
    }
  }

  protected deleteTariff(tariff: Tariff): void {
    if (!this.window?.confirm(this.t('tariffs.confirmDelete', { name: tariff.name, date: tariff.validFrom }))) return;
    this.tariffsError.set(null);
    this.api.deleteTariff({ path: { id: tariff.id } }).subscribe({
      next: () => {
        const editing = this.editingTariff();
        if (editing && editing !== 'new' && editing.id === tariff.id) this.editingTariff.set(null);
        this.loadTariffs();
      },
      error: (e: unknown) => this.tariffsError.set(formError(e)?.message ?? null),
    });
  }

  /** A 409 is a second version from the same date: the validFrom field is the one to change. */
  private tariffProblem(e: unknown): FormProblem {
    const problem = formError(e);
    if (problem && e instanceof HttpErrorResponse && e.status === 409 && !problem.fields['validFrom']) problem.fields['validFrom'] = problem.message;
    return problem;
  }

  private windowGroup(posto: WindowPosto, start: string, end: string) {
    return this.fb.group({ posto: [posto], start: [start], end: [end] });
  }

  private fillTariffForm(v: TariffFormValue): void {
    const windows = this.tariffForm.controls.windows;
    windows.clear({ emitEvent: false });
    for (const w of v.windows) windows.push(this.windowGroup(w.posto, w.start, w.end), { emitEvent: false });
    // The array has v's length before setValue fills it; the modality's subscriber then finds nothing to prune.
    this.tariffForm.setValue(v);
  }

  private selectClient(id: number): void {
    this.clientId.set(id);
    this.ownerSiteId.set(null);
    this.editingSite.set(null);
    this.editingTariff.set(null);
    this.sitesError.set(null);
    this.loadSites();
    this.api.listDevices({ query: { clientId: id } }).subscribe((devices) => this.devices.set(devices));
    this.loadTariffs();
  }

  private loadSites(): void {
    const clientId = this.clientId();
    if (clientId !== null) this.api.listSites({ query: { clientId } }).subscribe((sites) => this.sites.set(sites));
  }

  private loadTariffs(): void {
    const clientId = this.clientId();
    if (clientId === null) return;
    const siteId = this.ownerSiteId();
    this.tariffsError.set(null);
    this.api.listTariffs({ query: siteId === null ? { clientId } : { siteId } }).subscribe((tariffs) => this.tariffs.set(tariffs));
  }
}
