import type { AlarmOperator, AlarmRuleType } from '@pieng/shared';
import { conditionHolds } from './alarm-condition';

/** What of a rule the state machine needs (times in seconds as the API takes them). */
export interface AlarmRuleSettings {
  type: AlarmRuleType;
  operator: AlarmOperator;
  threshold: number;
  /** Absolute: an active `>` alarm clears only at or below threshold − deadband (a `<` one at or above threshold + deadband). */
  deadband: number;
  onDelaySec: number;
  offDelaySec: number;
  latch: boolean;
  /** An acknowledged alarm still active becomes unacknowledged again after this long; null or 0: never. */
  reAlarmSec: number | null;
  /** offline: no reading for this long. */
  staleAfterSec: number | null;
}

/**
 * Where one rule stands for one device. Plain data (stored as JSON between batches); every time is
 * epoch ms on reading times, or the timer's clock when readings have stopped.
 */
export interface AlarmState {
  /** An event is open (raised, not cleared). */
  active: boolean;
  acknowledged: boolean;
  acknowledgedAt: number | null;
  /** Not active: since when the condition has held (on-delay running). */
  pendingSince: number | null;
  /** Active: since when the condition has been clear (off-delay running). */
  clearingSince: number | null;
  /** Active, condition clear, held by the latch until acknowledged. */
  latched: boolean;
  /** The previous reading, for rateOfChange and counterReset. */
  lastTs: number | null;
  lastValue: number | null;
  /** Raise times within the chattering window. */
  raises: number[];
  /** While chattering: transitions before this time are muted (it moves 5 minutes past every raise). */
  quietAt: number | null;
}

export type AlarmStep =
  | { kind: 'raised'; at: number; value: number; chattering: boolean }
  | { kind: 'cleared'; at: number; value: number | null }
  | { kind: 'acknowledged'; at: number }
  | { kind: 'reAlarmed'; at: number };

export const CHATTER_WINDOW_MS = 60_000;
export const CHATTER_RAISES = 3;
export const CHATTER_QUIET_MS = 300_000;
/** A counter that drops below this share of its previous reading was reset (the energy rules, energy-counter.ts); a smaller dip is jitter. */
export const COUNTER_RESET_BELOW = 0.9;

export const initialAlarmState = (): AlarmState => ({
  active: false,
  acknowledged: false,
  acknowledgedAt: null,
  pendingSince: null,
  clearingSince: null,
  latched: false,
  lastTs: null,
  lastValue: null,
  raises: [],
  quietAt: null,
});

/**
 * The alarm model of one rule, as a pure function of the readings and the clock: no database, no
 * timers of its own. The evaluator feeds it readings (observe), the alarm timer the clock (tick),
 * operators their acknowledgements (acknowledge); each returns the transitions that happened, in order.
 * The state passed in is changed in place.
 */
export class AlarmStateMachine {
  constructor(private readonly rule: AlarmRuleSettings) {}

  /** A reading of the watched metric (for offline rules: any reading of the device; for platform rules: the timer's measurement) at `ts`. */
  observe(s: AlarmState, ts: number, value: number): AlarmStep[] {
    const steps: AlarmStep[] = [];
    this.reAlarm(s, ts, steps);
    const holds = this.holds(s, ts, value);
    if (this.rule.type === 'rateOfChange' || this.rule.type === 'counterReset') {
      s.lastTs = ts;
      s.lastValue = value;
    }
    this.step(s, ts, holds, value, steps);
    this.forgetChatter(s, ts);
    return steps;
  }

  /**
   * The clock at `now` with no new reading: an off-delay that has run out clears (readings stopped
   * while the condition was clear), a re-alarm falls due, and an offline rule sees `lastSeen`.
   */
  tick(s: AlarmState, now: number, lastSeen?: number | null): AlarmStep[] {
    const steps: AlarmStep[] = [];
    if (this.rule.type === 'offline' && lastSeen != null) {
      const staleAt = lastSeen + (this.rule.staleAfterSec ?? 0) * 1000;
      if (now >= staleAt && !s.active) {
        // The condition began when the device went stale; the on-delay counts from there.
        s.pendingSince ??= staleAt;
        const raiseAt = s.pendingSince + this.rule.onDelaySec * 1000;
        if (now >= raiseAt) this.raise(s, raiseAt, (raiseAt - lastSeen) / 1000, steps);
      } else if (now >= staleAt && s.active) {
        s.clearingSince = null;
        s.latched = false;
      }
    }
    if (s.active && s.clearingSince !== null && !s.latched) {
      const clearAt = s.clearingSince + this.rule.offDelaySec * 1000;
      if (now >= clearAt) this.conditionCleared(s, clearAt, null, steps);
    }
    this.reAlarm(s, now, steps);
    this.forgetChatter(s, now);
    return steps;
  }

  /** An operator acknowledged at `at`: a latched alarm whose condition is clear clears now. Acknowledging twice changes nothing. */
  acknowledge(s: AlarmState, at: number): AlarmStep[] {
    if (!s.active || s.acknowledged) return [];
    s.acknowledged = true;
    s.acknowledgedAt = at;
    const steps: AlarmStep[] = [{ kind: 'acknowledged', at }];
    if (s.latched) this.clear(s, at, null, steps);
    return steps;
  }

  /** Whether a transition at `at` falls in a chattering spell (muted). */
  chattering(s: AlarmState, at: number): boolean {
    return s.quietAt !== null && at < s.quietAt;
  }

  /** Nothing worth keeping: the evaluator can drop the stored state. */
  static isIdle(s: AlarmState, rule: AlarmRuleSettings): boolean {
    return !s.active && s.pendingSince === null && s.raises.length === 0 && s.quietAt === null && rule.type !== 'rateOfChange' && rule.type !== 'counterReset';
  }

  /** Whether the condition holds for this reading (with the deadband once active). */
  private holds(s: AlarmState, ts: number, value: number): boolean {
    const { type, operator, threshold } = this.rule;
    switch (type) {
      case 'offline':
        return false; // a reading arrived: the device is not silent
      case 'counterReset':
        return s.lastValue !== null && s.lastValue > 0 && value < s.lastValue * COUNTER_RESET_BELOW;
      case 'rateOfChange': {
        if (s.lastTs === null || s.lastValue === null || ts <= s.lastTs) return false;
        const perMinute = ((value - s.lastValue) * 60_000) / (ts - s.lastTs);
        return this.compare(s, perMinute, operator, threshold);
      }
      // Platform rules too: the value the alarm timer measured (free MB, 1 for a failed backup, minutes stuck) against their type's comparison.
      case 'threshold':
      case 'diskSpace':
      case 'backupFailed':
      case 'forwardingStuck':
        return this.compare(s, value, operator, threshold);
    }
  }

  /** The operator, widened by the deadband while active (and not latched-clear) so that noise around the threshold does not clear it. */
  private compare(s: AlarmState, value: number, operator: AlarmOperator, threshold: number): boolean {
    const band = s.active && !s.latched ? this.rule.deadband : 0;
    if (band === 0) return conditionHolds(value, operator, threshold);
    switch (operator) {
      case '>':
      case '>=':
        return conditionHolds(value, operator, threshold - band);
      case '<':
      case '<=':
        return conditionHolds(value, operator, threshold + band);
      case '==':
        return Math.abs(value - threshold) <= band;
      case '!=':
        return value !== threshold;
    }
  }

  private step(s: AlarmState, ts: number, holds: boolean, value: number, steps: AlarmStep[]): void {
    if (!s.active) {
      if (!holds) {
        s.pendingSince = null;
        return;
      }
      s.pendingSince ??= ts;
      if (ts - s.pendingSince >= this.rule.onDelaySec * 1000) this.raise(s, ts, value, steps);
      return;
    }
    if (holds) {
      s.clearingSince = null;
      s.latched = false;
      return;
    }
    if (s.latched) return;
    s.clearingSince ??= ts;
    if (ts - s.clearingSince >= this.rule.offDelaySec * 1000) this.conditionCleared(s, ts, value, steps);
  }

  private raise(s: AlarmState, at: number, value: number, steps: AlarmStep[]): void {
    s.raises = s.raises.filter((t) => t > at - CHATTER_WINDOW_MS);
    s.raises.push(at);
    const chattering = s.raises.length >= CHATTER_RAISES || this.chattering(s, at);
    if (chattering) s.quietAt = at + CHATTER_QUIET_MS;
    Object.assign(s, { active: true, acknowledged: false, acknowledgedAt: null, pendingSince: null, clearingSince: null, latched: false });
    steps.push({ kind: 'raised', at, value, chattering });
  }

  /** The condition has been clear for the off-delay: clear, or hold if latched and not yet acknowledged. */
  private conditionCleared(s: AlarmState, at: number, value: number | null, steps: AlarmStep[]): void {
    if (this.rule.latch && !s.acknowledged) {
      s.latched = true;
      s.clearingSince = null;
      return;
    }
    this.clear(s, at, value, steps);
  }

  private clear(s: AlarmState, at: number, value: number | null, steps: AlarmStep[]): void {
    Object.assign(s, { active: false, acknowledged: false, acknowledgedAt: null, pendingSince: null, clearingSince: null, latched: false });
    steps.push({ kind: 'cleared', at, value });
  }

  private reAlarm(s: AlarmState, now: number, steps: AlarmStep[]): void {
    const after = (this.rule.reAlarmSec ?? 0) * 1000;
    if (after <= 0 || !s.active || !s.acknowledged || s.latched || s.acknowledgedAt === null) return;
    if (now - s.acknowledgedAt < after) return;
    const at = s.acknowledgedAt + after;
    s.acknowledged = false;
    s.acknowledgedAt = null;
    steps.push({ kind: 'reAlarmed', at });
  }

  /** Raises older than the window and a chattering spell that has gone quiet are forgotten. */
  private forgetChatter(s: AlarmState, now: number): void {
    if (s.raises.length) s.raises = s.raises.filter((t) => t > now - CHATTER_WINDOW_MS);
    if (s.quietAt !== null && now >= s.quietAt) s.quietAt = null;
  }
}
