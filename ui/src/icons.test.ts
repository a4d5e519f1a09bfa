import { describe, expect, it } from 'vitest';

// Icons come from one set (@lucide/svelte, docs/ui.md), not from characters
// that each system font draws its own way.
const sources = import.meta.glob('./**/*.svelte', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
// (An arrow between two amounts, "a → b", is typography, not an icon.)
const ICON_LIKE = /[✕✖✗✓✔×↑↓←▲▼▶◀⚠★☆⟳↻🗑]/u;

describe('icons', () => {
  it('are read from the screens', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(10);
  });
  it('are drawn from the kept set, never typed as characters in the markup', () => {
    const found: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      const markup = text.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<style[\s\S]*?<\/style>/g, '');
      markup.split('\n').forEach((line, i) => {
        // A character between tags or in an attribute: an icon by hand.
        if (ICON_LIKE.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
