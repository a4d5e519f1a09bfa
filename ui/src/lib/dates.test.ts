import { describe, expect, it } from 'vitest';
import { parseFrenchDate } from './dates';

describe('dates typed by the user', () => {
  it('reads day first, as in France', () => {
    expect(parseFrenchDate('01/03/2026')).toBe('2026-03-01');
    expect(parseFrenchDate('1.3.26')).toBe('2026-03-01');
    expect(parseFrenchDate('2026-03-01')).toBe('2026-03-01');
  });
  it('refuses impossible dates', () => {
    expect(parseFrenchDate('31/02/2026')).toBeNull();
    expect(parseFrenchDate('13/13/2026')).toBeNull();
    expect(parseFrenchDate('demain')).toBeNull();
  });
});
