export interface TuyaBudgetInput {
  /** Calls per calendar month of the Tuya project (trial projects: about 26,000). */
  monthlyQuota: number;
  /** Calls already made this month. */
  callsUsed: number;
  /** Epoch ms. Months are calendar months in UTC. */
  now: number;
  /** Interval the user configured. */
  pollIntervalMs: number;
  /** Calls one polling round costs for everything sharing the quota (default 1). */
  callsPerPoll?: number;
  /** Calls kept back for token logins/refreshes (every 2 h: about 12 a day; default 400). */
  reserveCalls?: number;
  /** Warn when less than this fraction of the quota is left (default 0.2). */
  warnBelowFraction?: number;
}

export interface TuyaBudget {
  /** Interval to actually poll at: the configured one, stretched if the quota would run out. */
  effectivePollIntervalMs: number;
  stretched: boolean;
  remainingCalls: number;
  remainingFraction: number;
  /** Epoch ms of the next month start (quota reset). */
  monthEndsAt: number;
  warning?: string;
}

/**
 * Stretches the poll interval so the remaining calls last until the month ends:
 * interval >= time left / (calls left / calls per poll). Pure; the caller supplies the count.
 */
export function tuyaPollBudget(input: TuyaBudgetInput): TuyaBudget {
  const callsPerPoll = Math.max(1, input.callsPerPoll ?? 1);
  const reserve = input.reserveCalls ?? 400;
  const warnBelow = input.warnBelowFraction ?? 0.2;
  const date = new Date(input.now);
  const monthEndsAt = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  const msLeft = Math.max(1, monthEndsAt - input.now);
  const remainingCalls = Math.max(0, input.monthlyQuota - input.callsUsed);
  const remainingFraction = input.monthlyQuota > 0 ? remainingCalls / input.monthlyQuota : 0;
  const usable = Math.max(0, remainingCalls - reserve);
  const pollsLeft = Math.floor(usable / callsPerPoll);
  const minimumInterval = pollsLeft > 0 ? Math.ceil(msLeft / pollsLeft) : msLeft;
  const effectivePollIntervalMs = Math.max(input.pollIntervalMs, minimumInterval);
  const stretched = effectivePollIntervalMs > input.pollIntervalMs;
  const budget: TuyaBudget = { effectivePollIntervalMs, stretched, remainingCalls, remainingFraction, monthEndsAt };
  if (pollsLeft === 0) {
    budget.warning = `Tuya API quota used up for this month (${input.callsUsed} of ${input.monthlyQuota} calls); polling resumes when the month ends.`;
  } else if (remainingFraction < warnBelow) {
    budget.warning =
      `Tuya API quota low: ${remainingCalls} of ${input.monthlyQuota} calls left this month (${Math.floor(remainingFraction * 100)} %)` +
      (stretched ? `; polling slowed to every ${Math.round(effectivePollIntervalMs / 1000)} s.` : '.');
  } else if (stretched) {
    budget.warning = `Polling slowed to every ${Math.round(effectivePollIntervalMs / 1000)} s so the Tuya API quota lasts the month.`;
  }
  return budget;
}
