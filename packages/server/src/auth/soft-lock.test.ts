import { describe, expect, it } from 'vitest';
import { SoftLock } from './soft-lock.js';

describe('SoftLock', () => {
  const opts = { threshold: 3, baseSeconds: 10, maxSeconds: 60 };

  it('locks from the threshold on, doubling, capped, and forgets after a success', () => {
    const lock = new SoftLock(opts);
    let now = 1_000_000;
    expect(lock.failure('a', now)).toBe(0);
    expect(lock.failure('a', now)).toBe(0);
    expect(lock.lockedFor('a', now)).toBe(0);
    expect(lock.failure('a', now)).toBe(10);
    expect(lock.lockedFor('a', now)).toBe(10);
    expect(lock.failure('a', now + 5_000)).toBe(0); // refused while locked: not counted
    now += 10_000;
    expect(lock.lockedFor('a', now)).toBe(0);
    expect(lock.failure('a', now)).toBe(20);
    now += 20_000;
    expect(lock.failure('a', now)).toBe(40);
    now += 40_000;
    expect(lock.failure('a', now)).toBe(60);
    now += 60_000;
    expect(lock.failure('a', now)).toBe(60);
    expect(lock.lockedFor('b', now)).toBe(0);
    lock.success('a');
    expect(lock.lockedFor('a', now)).toBe(0);
    expect(lock.failure('a', now)).toBe(0);
  });

  it('forgets failures after a quiet period of ten times the longest lock', () => {
    const lock = new SoftLock(opts);
    lock.failure('a', 0);
    lock.failure('a', 0);
    expect(lock.failure('a', 601_000)).toBe(0);
  });
});
