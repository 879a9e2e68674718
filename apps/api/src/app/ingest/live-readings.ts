import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { Principal } from '../auth/principal';
import { principalKey, PrincipalValidity } from '../auth/principal-validity';
import { Sessions } from '../auth/sessions';
import type { ClientScope } from '../common/client-scope';
import { ServiceUnavailableError, TooManyRequestsError } from '../common/domain-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';

export interface LiveReading {
  deviceId: number;
  clientId: number;
  ts: number;
  source: string;
  metrics: Record<string, number>;
}

/** What a stream asked for (GET /api/live?clientId=&deviceId=). */
export interface LiveFilter {
  clientId?: number;
  deviceId?: number;
}

/** How often the users and keys behind open streams are looked up again (covers changes made by other instances). */
export const LIVE_RECHECK_MS = 1000;
/** A comment this often keeps proxies from closing a quiet stream and finds clients that are gone. */
const HEARTBEAT_MS = 25_000;
/** A client that lets this much pile up unread is not reading: its stream is closed (it may reconnect). */
const MAX_UNREAD_BYTES = 1024 * 1024;
/** What a caller refused a stream over the cap is told to wait. */
const CAP_RETRY_AFTER_SEC = 5;

interface Subscriber {
  principal: string;
  /** A user's session (login): the stream ends with it (logout, password changed, account disabled). */
  sessionId?: string;
  /** The caller's client when it was last looked up; null for platform staff. */
  clientId: number | null;
  /** The client whose readings it gets (its own, or the one staff asked for); null: every client. */
  route: number | null;
  deviceId?: number;
  /** When it opened: a lookup that began earlier says nothing about it. */
  openedAt: number;
  res: ServerResponse;
}

/**
 * Readings as they are committed, written to the open live streams (server-sent events).
 *
 * Cheap fan-out: a committed batch is serialised once per reading, joined once per client (and per
 * device for streams that asked for one), and written to each stream of that client with one write,
 * so the cost of a stream is a write per batch, never a JSON.stringify per reading. Streams are
 * found through their client, so a client's readings cost nothing to the streams of others.
 *
 * A stream lives as long as its user or key may read what it gets: at most
 * LIVE_STREAMS_PER_PRINCIPAL per user or key; ended at once when this instance disables, deletes,
 * moves or revokes it, and within LIVE_RECHECK_MS when another instance on the same database does
 * (every open stream's user and key is looked up again, in one query per kind).
 */
@Injectable()
export class LiveReadings implements BeforeApplicationShutdown, OnModuleDestroy {
  private readonly logger = new Logger('Live');
  /** Streams that get one client's readings, by that client. */
  private readonly byClient = new Map<number, Set<Subscriber>>();
  /** Platform staff's streams of every client. */
  private readonly everyClient = new Set<Subscriber>();
  private readonly byPrincipal = new Map<string, Set<Subscriber>>();
  private timer?: NodeJS.Timeout;
  private lastHeartbeat = 0;
  private checking = false;
  private checkFailing = false;
  private closing = false;
  private readonly changes: Subscription;
  /** In-process listeners (the MQTT publisher): every batch of stored readings, after its commit. */
  private readonly listeners = new Set<(readings: LiveReading[]) => void>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly validity: PrincipalValidity,
    private readonly sessions: Sessions,
  ) {
    this.changes = this.validity.changes.subscribe((ref) =>
      this.endAll(principalKey(ref), 'the user or API key was changed; reconnect to continue with its current rights'),
    );
  }

  /**
   * Starts the server-sent events answer and keeps it until the client leaves, the caller loses
   * access, or the server stops. Over the per-principal cap it throws (429) before anything is written.
   */
  open(principal: Principal, scope: ClientScope, filter: LiveFilter, req: IncomingMessage, res: ServerResponse): void {
    if (this.closing) throw new ServiceUnavailableError('The server is shutting down; reconnect shortly', CAP_RETRY_AFTER_SEC);
    const key = principalKey(principal);
    const own = this.byPrincipal.get(key) ?? new Set<Subscriber>();
    const cap = this.config.liveStreamsPerPrincipal;
    if (own.size >= cap) {
      const who = principal.kind === 'user' ? 'This user' : 'This API key';
      throw new TooManyRequestsError(
        `${who} already has ${cap} live streams open (LIVE_STREAMS_PER_PRINCIPAL); close one before opening another`,
        CAP_RETRY_AFTER_SEC,
      );
    }
    // A client's user asking for another client's readings gets none, as for a device it cannot see.
    const foreign = scope.clientId !== null && filter.clientId !== undefined && filter.clientId !== scope.clientId;
    const sub: Subscriber = {
      principal: key,
      ...(principal.kind === 'user' && { sessionId: principal.sessionId }),
      clientId: scope.clientId,
      route: scope.clientId ?? filter.clientId ?? null,
      deviceId: filter.deviceId,
      openedAt: performance.now(),
      res,
    };
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'private, no-cache, no-store, must-revalidate, max-age=0, no-transform',
      Connection: 'keep-alive',
      // nginx and similar proxies pass events on at once instead of buffering them
      'X-Accel-Buffering': 'no',
    });
    // A HEAD has no body to wait for; a client that left while the guard looked it up has nothing to wait for either.
    if (req.method === 'HEAD' || req.socket.destroyed) {
      res.end();
      return;
    }
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true);
    req.socket.setTimeout(0);
    res.flushHeaders();
    own.add(sub);
    this.byPrincipal.set(key, own);
    if (!foreign) {
      if (sub.route === null) this.everyClient.add(sub);
      else {
        const set = this.byClient.get(sub.route) ?? new Set<Subscriber>();
        set.add(sub);
        this.byClient.set(sub.route, set);
      }
    }
    res.on('close', () => this.remove(sub));
    this.timer ??= setInterval(() => this.tick(), LIVE_RECHECK_MS).unref();
  }

  /** Whether any stream is open here (readings for nobody need not be decoded). */
  get watched(): boolean {
    return this.byClient.size > 0 || this.everyClient.size > 0;
  }

  /** Calls `listener` with every batch of stored readings (it must only take them, quickly); returns how to stop. */
  listen(listener: (readings: LiveReading[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(readings: LiveReading[]): void {
    for (const listener of this.listeners) listener(readings);
    if (this.byClient.size === 0 && this.everyClient.size === 0) return;
    const texts = new Map<LiveReading, string>();
    const text = (r: LiveReading) => {
      let t = texts.get(r);
      if (t === undefined) {
        t = `event: reading\ndata: ${JSON.stringify({ deviceId: r.deviceId, ts: new Date(r.ts).toISOString(), source: r.source, metrics: r.metrics })}\n\n`;
        texts.set(r, t);
      }
      return t;
    };
    /** The events of these readings (all, or one device's), joined and encoded once per (group, device). */
    const joined = new Map<string, Buffer>();
    const events = (group: string, rs: LiveReading[], deviceId: number | undefined) => {
      const k = `${group}/${deviceId ?? '*'}`;
      let bytes = joined.get(k);
      if (bytes === undefined) {
        let t = '';
        for (const r of rs) if (deviceId === undefined || r.deviceId === deviceId) t += text(r);
        bytes = Buffer.from(t);
        joined.set(k, bytes);
      }
      return bytes;
    };

    if (this.byClient.size > 0) {
      const perClient = new Map<number, LiveReading[]>();
      for (const r of readings) {
        if (!this.byClient.has(r.clientId)) continue;
        const list = perClient.get(r.clientId);
        if (list) list.push(r);
        else perClient.set(r.clientId, [r]);
      }
      for (const [clientId, rs] of perClient) {
        for (const sub of this.byClient.get(clientId) ?? []) this.write(sub, events(String(clientId), rs, sub.deviceId));
      }
    }
    for (const sub of this.everyClient) this.write(sub, events('*', readings, sub.deviceId));
  }

  private write(sub: Subscriber, text: Buffer | string): void {
    if (text.length === 0) return;
    if (sub.res.writableLength > MAX_UNREAD_BYTES) {
      this.logger.warn(`Live stream of ${sub.principal} closed: its client has not read ${sub.res.writableLength} bytes of readings`);
      this.end(sub);
      return;
    }
    sub.res.write(text);
  }

  private remove(sub: Subscriber): void {
    const own = this.byPrincipal.get(sub.principal);
    own?.delete(sub);
    if (own?.size === 0) this.byPrincipal.delete(sub.principal);
    this.everyClient.delete(sub);
    if (sub.route !== null) {
      const set = this.byClient.get(sub.route);
      set?.delete(sub);
      if (set?.size === 0) this.byClient.delete(sub.route);
    }
    if (this.byPrincipal.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Ends the stream: the client sees its end (a browser reconnects, and the guard judges it afresh). */
  private end(sub: Subscriber, why?: string): void {
    this.remove(sub);
    if (sub.res.writableEnded) return;
    if (why) sub.res.write(`: ${why}\n\n`);
    sub.res.end();
  }

  private endAll(principal: string, why: string): void {
    const own = this.byPrincipal.get(principal);
    if (!own) return;
    this.logger.log(`${own.size} live stream(s) of ${principal} ended: ${why}`);
    for (const sub of [...own]) this.end(sub, why);
  }

  private tick(): void {
    const now = performance.now();
    if (now - this.lastHeartbeat >= HEARTBEAT_MS) {
      this.lastHeartbeat = now;
      for (const own of this.byPrincipal.values()) for (const sub of own) this.write(sub, ': keep-alive\n\n');
    }
    void this.recheck();
  }

  /**
   * Looks up every open stream's session (user) and key again; ends the streams whose session ended
   * (logout, password changed, account disabled or deleted), whose key was revoked, or whose user
   * moved to another client.
   */
  async recheck(): Promise<void> {
    if (this.checking || this.byPrincipal.size === 0) return;
    this.checking = true;
    const startedAt = performance.now();
    try {
      const sessionIds = new Set<string>();
      const keyIds: number[] = [];
      const streams = [...this.byPrincipal.entries()].map(([p, own]) => ({ p, own: [...own] }));
      for (const { p, own } of streams) {
        if (p.startsWith('key:')) keyIds.push(Number(p.slice('key:'.length)));
        else for (const s of own) if (s.sessionId) sessionIds.add(s.sessionId);
      }
      const [sessions, keys] = await Promise.all([this.sessions.findMany([...sessionIds]), this.validity.liveKeys(keyIds)]);
      const keyClients = new Map(keys.map((k) => [principalKey({ kind: 'apiKey', keyId: k.keyId }), k.clientId]));
      for (const { p, own } of streams) {
        for (const s of own) {
          if (s.openedAt >= startedAt || !this.byPrincipal.get(p)?.has(s)) continue; // opened after the lookup began, or gone meanwhile
          const session = s.sessionId ? sessions.get(s.sessionId) : undefined;
          const live = p.startsWith('key:') ? keyClients.has(p) : session !== undefined && session.over === null;
          if (!live) {
            this.logger.log(`A live stream of ${p} ended: access ended`);
            this.end(s, 'access ended (logged out, password changed, user disabled or deleted, or API key revoked)');
            continue;
          }
          const clientId = p.startsWith('key:') ? keyClients.get(p) : session?.clientId;
          if (s.clientId !== clientId) {
            this.logger.log(`A live stream of ${p} ended: moved to another client`);
            this.end(s, 'the user was moved to another client; reconnect to continue with its current rights');
          }
        }
      }
      if (this.checkFailing) this.logger.log('Live streams: the users and API keys behind them can be checked again');
      this.checkFailing = false;
    } catch (err) {
      // The database is unreachable: no reading is stored (nor streamed) meanwhile; look again at the next tick.
      if (!this.checkFailing) this.logger.warn(`Live streams: cannot check the users and API keys behind them: ${(err as Error).message}`);
      this.checkFailing = true;
    } finally {
      this.checking = false;
    }
  }

  onModuleDestroy(): void {
    this.changes.unsubscribe();
  }

  /**
   * Live streams never end on their own, and the HTTP server waits for every open response
   * before it closes: ending them lets SIGTERM finish (the console reconnects on its own).
   */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const own of [...this.byPrincipal.values()]) for (const sub of [...own]) this.end(sub);
  }
}
