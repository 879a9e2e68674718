import { LoginAttempt, LoginThrottle, WINDOW_MS } from './login-throttle';

const T = Date.UTC(2026, 10, 26, 12, 0, 0);
const counted = (a: LoginAttempt | { retryAfterSec: number }): LoginAttempt => {
  if ('retryAfterSec' in a) throw new Error(`refused: retry in ${a.retryAfterSec} s`);
  return a;
};

describe('LoginThrottle', () => {
  it('counts an attempt when it starts: the sixth running attempt for an account is refused until the first is 15 minutes old', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 5; i++) counted(throttle.attempt('a@x', `10.0.0.${i}`, T + i * 1000));
    expect(throttle.attempt('a@x', '10.0.0.9', T + 5000)).toEqual({ retryAfterSec: 895 });
    expect('succeeded' in throttle.attempt('a@x', '10.0.0.9', T + WINDOW_MS)).toBe(true);
  });

  it('does not count an attempt whose password was never checked', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 5; i++) counted(throttle.attempt('a@x', '10.0.0.1', T)).withdraw();
    for (let i = 0; i < 5; i++) counted(throttle.attempt('a@x', '10.0.0.1', T));
    expect('retryAfterSec' in throttle.attempt('a@x', '10.0.0.1', T)).toBe(true);
  });

  it('forgets the account on success, and a success does not count against the address', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 4; i++) counted(throttle.attempt('a@x', '10.0.0.1', T));
    counted(throttle.attempt('a@x', '10.0.0.1', T)).succeeded();
    for (let i = 0; i < 4; i++) counted(throttle.attempt('a@x', '10.0.0.1', T));
    // 8 failures and 30 successes from one address: under its limit of 20 failures.
    for (let i = 0; i < 30; i++) counted(throttle.attempt(`user${i}@x`, '10.0.0.1', T)).succeeded();
    for (let i = 0; i < 12; i++) counted(throttle.attempt(`other${i}@x`, '10.0.0.1', T));
    expect(throttle.attempt('b@x', '10.0.0.1', T)).toEqual({ retryAfterSec: 900 });
  });
});
