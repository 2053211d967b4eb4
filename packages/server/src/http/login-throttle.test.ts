import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('blocks a name from a source after the limit, until the window ends', () => {
    const t = new LoginThrottle(3, 1000, 10);
    for (let i = 0; i < 3; i++) {
      expect(t.blocked('10.0.0.1', 'alice', 0)).toBe(false);
      t.recordFailure('10.0.0.1', 'alice', 0);
    }
    expect(t.blocked('10.0.0.1', 'alice', 500)).toBe(true);
    expect(t.blocked('10.0.0.2', 'alice', 500)).toBe(false);
    expect(t.blocked('10.0.0.1', 'bob', 500)).toBe(false);
    expect(t.blocked('10.0.0.1', 'alice', 1000)).toBe(false);
  });

  it('forgets the failures of a name after a success', () => {
    const t = new LoginThrottle(2, 1000, 10);
    t.recordFailure('s', 'alice', 0);
    t.recordSuccess('s', 'alice');
    t.recordFailure('s', 'alice', 0);
    expect(t.blocked('s', 'alice', 1)).toBe(false);
  });

  it('limits one source across names', () => {
    const t = new LoginThrottle(2, 1000, 3);
    for (let i = 0; i < 6; i++) t.recordFailure('s', `user${i}`, 0);
    expect(t.blocked('s', 'someone-new', 1)).toBe(true);
    expect(t.blocked('other', 'someone-new', 1)).toBe(false);
  });

  it('can count per name only', () => {
    const t = new LoginThrottle(2, 1000, 0);
    for (let i = 0; i < 100; i++) t.recordFailure('host', `user${i}`, 0);
    expect(t.blocked('host', 'someone-new', 1)).toBe(false);
  });
});
