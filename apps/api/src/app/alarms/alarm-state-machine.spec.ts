import { AlarmRuleSettings, AlarmState, AlarmStateMachine, AlarmStep, initialAlarmState } from './alarm-state-machine';

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);
const sec = (n: number) => T0 + n * 1000;

const rule = (over: Partial<AlarmRuleSettings> = {}): AlarmRuleSettings => ({
  type: 'threshold',
  operator: '>',
  threshold: 242,
  deadband: 0,
  onDelaySec: 0,
  offDelaySec: 0,
  latch: false,
  reAlarmSec: null,
  staleAfterSec: null,
  ...over,
});

/** A rule's machine and its state, fed readings at whole seconds after T0 on a fake clock. */
function harness(settings: Partial<AlarmRuleSettings> = {}) {
  const machine = new AlarmStateMachine(rule(settings));
  const state: AlarmState = initialAlarmState();
  const steps: AlarmStep[] = [];
  return {
    machine,
    state,
    steps,
    read: (s: number, value: number) => steps.push(...machine.observe(state, sec(s), value)),
    tick: (s: number, lastSeen?: number) => steps.push(...machine.tick(state, sec(s), lastSeen === undefined ? undefined : sec(lastSeen))),
    ack: (s: number) => steps.push(...machine.acknowledge(state, sec(s))),
    kinds: () => steps.map((x) => `${x.kind}@${(x.at - T0) / 1000}`),
  };
}

describe('AlarmStateMachine', () => {
  it('raises at once with no delay and clears on the first reading that no longer meets it', () => {
    const h = harness();
    h.read(0, 230);
    h.read(1, 245);
    h.read(2, 250);
    h.read(3, 240);
    expect(h.kinds()).toEqual(['raised@1', 'cleared@3']);
    expect(h.steps[0]).toMatchObject({ value: 245, chattering: false });
  });

  it('on-delay: the condition must hold 10 s of reading time; an interruption starts it over', () => {
    const h = harness({ onDelaySec: 10 });
    h.read(0, 250); // pending since 0
    h.read(5, 250);
    h.read(6, 240); // interrupted
    h.read(7, 250); // pending since 7
    h.read(16, 250); // 9 s: not yet
    expect(h.kinds()).toEqual([]);
    h.read(17, 251); // 10 s: raised at the reading that completes the delay
    expect(h.kinds()).toEqual(['raised@17']);
    expect(h.steps[0]).toMatchObject({ value: 251 });
  });

  it('off-delay: clear only after 30 s clear; readings that stop are cleared by the timer at the deadline', () => {
    const h = harness({ offDelaySec: 30 });
    h.read(0, 250);
    h.read(10, 240); // clearing since 10
    h.read(20, 250); // holds again: clearing forgotten
    h.read(25, 240); // clearing since 25
    h.read(54, 240); // 29 s
    expect(h.kinds()).toEqual(['raised@0']);
    h.tick(54.5);
    expect(h.kinds()).toEqual(['raised@0']);
    h.tick(70); // readings stopped; deadline 25 + 30 = 55
    expect(h.kinds()).toEqual(['raised@0', 'cleared@55']);
  });

  it('deadband: a > 242 alarm with deadband 2 clears only at or below 240', () => {
    const h = harness({ deadband: 2 });
    h.read(0, 243); // raised
    h.read(1, 241); // below the threshold, inside the band: still active
    h.read(2, 240.5);
    expect(h.kinds()).toEqual(['raised@0']);
    h.read(3, 240);
    expect(h.kinds()).toEqual(['raised@0', 'cleared@3']);
    h.read(4, 241); // inactive again: the plain threshold applies, 241 does not raise
    expect(h.kinds()).toEqual(['raised@0', 'cleared@3']);
  });

  it('deadband on a < alarm: < 200 with deadband 5 clears at or above 205', () => {
    const h = harness({ operator: '<', threshold: 200, deadband: 5 });
    h.read(0, 190);
    h.read(1, 204.9);
    h.read(2, 205);
    expect(h.kinds()).toEqual(['raised@0', 'cleared@2']);
  });

  it('latch: stays active when clear until acknowledged, then clears at the acknowledgement', () => {
    const h = harness({ latch: true });
    h.read(0, 250);
    h.read(1, 230); // clear, but latched
    h.read(2, 231);
    expect(h.kinds()).toEqual(['raised@0']);
    expect(h.state).toMatchObject({ active: true, latched: true });
    h.ack(5);
    expect(h.kinds()).toEqual(['raised@0', 'acknowledged@5', 'cleared@5']);
    expect(h.state.active).toBe(false);
  });

  it('latch: acknowledged while still active, it clears with the condition', () => {
    const h = harness({ latch: true });
    h.read(0, 250);
    h.ack(1);
    h.read(2, 230);
    expect(h.kinds()).toEqual(['raised@0', 'acknowledged@1', 'cleared@2']);
  });

  it('re-alarm: acknowledged and still active, unacknowledged again 60 s after the acknowledgement (by reading or timer)', () => {
    const h = harness({ reAlarmSec: 60 });
    h.read(0, 250);
    h.ack(10);
    h.ack(11); // twice: nothing new
    h.read(69, 250); // 59 s after the ack
    expect(h.kinds()).toEqual(['raised@0', 'acknowledged@10']);
    h.tick(75);
    expect(h.kinds()).toEqual(['raised@0', 'acknowledged@10', 'reAlarmed@70']);
    expect(h.state.acknowledged).toBe(false);
    h.tick(200); // not acknowledged again: no second re-alarm
    expect(h.steps).toHaveLength(3);
  });

  it('chattering: the third raise within 60 s is chattering, and stays muted until 5 quiet minutes', () => {
    const h = harness();
    for (const [s, v] of [
      [0, 250],
      [10, 230],
      [20, 250],
      [30, 230],
      [40, 250], // third raise within 60 s (0, 20, 40)
      [50, 230],
    ] as const)
      h.read(s, v);
    const raises = h.steps.filter((s) => s.kind === 'raised');
    expect(raises.map((r) => r.kind === 'raised' && r.chattering)).toEqual([false, false, true]);
    // Muted until 40 + 300 = 340 s.
    expect(h.machine.chattering(h.state, sec(50))).toBe(true);
    expect(h.machine.chattering(h.state, sec(339))).toBe(true);
    h.read(200, 250); // a raise in the spell: chattering, and the quiet moves to 500
    expect(h.steps.at(-1)).toMatchObject({ kind: 'raised', chattering: true });
    h.read(210, 230);
    h.tick(499);
    expect(h.machine.chattering(h.state, sec(499))).toBe(true);
    h.tick(500);
    expect(h.machine.chattering(h.state, sec(500))).toBe(false);
    h.read(600, 250);
    expect(h.steps.at(-1)).toMatchObject({ kind: 'raised', chattering: false });
  });

  it('two raises within 60 s are not chattering; raises 61 s apart never are', () => {
    const h = harness();
    for (const [s, v] of [
      [0, 250],
      [1, 230],
      [61, 250],
      [62, 230],
      [122, 250],
    ] as const)
      h.read(s, v);
    expect(h.steps.filter((s) => s.kind === 'raised').map((r) => r.kind === 'raised' && r.chattering)).toEqual([false, false, false]);
  });

  it('offline: raised by the timer staleAfterSec after the last reading, cleared by the next reading', () => {
    const h = harness({ type: 'offline', staleAfterSec: 300 });
    h.tick(299, 0);
    expect(h.kinds()).toEqual([]);
    h.tick(310, 0); // stale since 300
    expect(h.kinds()).toEqual(['raised@300']);
    expect(h.steps[0]).toMatchObject({ value: 300 });
    h.tick(400, 0); // still silent: nothing new
    h.read(420, 1);
    expect(h.kinds()).toEqual(['raised@300', 'cleared@420']);
  });

  it('offline with an on-delay: stale for 300 s, then 60 s more', () => {
    const h = harness({ type: 'offline', staleAfterSec: 300, onDelaySec: 60 });
    h.tick(320, 0);
    h.tick(359, 0);
    expect(h.kinds()).toEqual([]);
    h.tick(365, 0);
    expect(h.kinds()).toEqual(['raised@360']);
  });

  it('rateOfChange: change per minute from the previous reading', () => {
    // > 10 per minute: 100 -> 103 in 10 s is 18/min.
    const h = harness({ type: 'rateOfChange', operator: '>', threshold: 10 });
    h.read(0, 100);
    h.read(60, 105); // 5/min
    expect(h.kinds()).toEqual([]);
    h.read(70, 108); // 3 in 10 s = 18/min
    h.read(130, 109); // 1/min
    expect(h.kinds()).toEqual(['raised@70', 'cleared@130']);
  });

  it('counterReset: the counter falling below 90 % of the previous reading; a small dip is jitter', () => {
    const h = harness({ type: 'counterReset' });
    h.read(0, 10_000);
    h.read(10, 9_950); // 99.5 %: jitter
    expect(h.kinds()).toEqual([]);
    h.read(20, 12); // reset
    h.read(30, 20);
    expect(h.kinds()).toEqual(['raised@20', 'cleared@30']);
  });

  it('a delay of 0 does not disable the alarm; == and != compare exactly', () => {
    const eq = harness({ operator: '==', threshold: 1, onDelaySec: 0, offDelaySec: 0 });
    eq.read(0, 0);
    eq.read(1, 1);
    eq.read(2, 0);
    expect(eq.kinds()).toEqual(['raised@1', 'cleared@2']);
    const ne = harness({ operator: '!=', threshold: 0 });
    ne.read(0, 0);
    ne.read(1, 2);
    expect(ne.kinds()).toEqual(['raised@1']);
  });
});

describe('nextDue (when the alarm timer must look at a state)', () => {
  // Imported here: the due time is what the store writes beside the state, from the same rule settings.
  const { nextDue } = require('./alarm-event-store') as typeof import('./alarm-event-store');
  const asRule = (over: Partial<AlarmRuleSettings>) => ({
    ...rule(over),
    id: 1,
    clientId: 1,
    deviceId: null,
    name: 'r',
    metric: 'voltage',
    severity: 'major' as const,
    channelIds: [],
    escalationChannelId: null,
    escalateAfterMin: null,
  });

  it('an off-delay running, a re-alarm, the end of chattering; nothing for a latched or idle state', () => {
    const h = harness({ offDelaySec: 30, reAlarmSec: 600 });
    h.read(0, 250);
    h.ack(10);
    h.read(20, 230); // clearing since 20: due at 50; re-alarm due at 610
    expect(nextDue(h.state, asRule({ offDelaySec: 30, reAlarmSec: 600 }))).toBe(sec(50));
    const latched = harness({ latch: true, reAlarmSec: 600 });
    latched.read(0, 250);
    latched.read(1, 230); // latched, not acknowledged
    expect(nextDue(latched.state, asRule({ latch: true, reAlarmSec: 600 }))).toBeNull();
    expect(nextDue(harness().state, asRule({}))).toBeNull();
  });
});
