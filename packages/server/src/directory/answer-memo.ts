/**
 * A small memo of answers many callers ask for at once: hosts of a fleet ask for the same change
 * page (same cursor, same head) or the same listing page within moments of each other. Bounded by
 * the total weight (entries) of the answers it holds, least recently used out first. Answers are
 * deep-frozen: every caller gets the same object.
 */
export class AnswerMemo {
  private readonly answers = new Map<string, { value: unknown; weight: number }>();
  private weight = 0;

  constructor(private readonly maxWeight: number) {}

  /** The answer under `key`, computed by `compute` (and kept, if it fits) when absent. */
  get<T>(key: string, compute: () => T, weightOf: (value: T) => number): T {
    const hit = this.answers.get(key);
    if (hit) {
      this.answers.delete(key); // re-inserted: the most recently used is last
      this.answers.set(key, hit);
      return hit.value as T; // a key names one kind of answer
    }
    const value = deepFreeze(compute());
    const weight = weightOf(value) + 1;
    if (weight > this.maxWeight) return value;
    this.answers.set(key, { value, weight });
    this.weight += weight;
    for (const [oldest, entry] of this.answers) {
      if (this.weight <= this.maxWeight) break;
      this.answers.delete(oldest);
      this.weight -= entry.weight;
    }
    return value;
  }
}

/** Freezes `value` and everything in it: for answers shared between callers. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
