// One colour scale for aging everywhere: not due → most overdue.
const SCALE = ['#3b7dd8', '#e3b341', '#e8893a', '#d9534f', '#9c2f2f', '#6b1f1f', '#4a1515', '#2e0d0d', '#1a0707', '#000'];

/** Colour of bucket `index` when there are `count` buckets (last = most overdue). */
export function agingColor(index: number, count: number): string {
  if (index === 0) return SCALE[0];
  if (index === count - 1) return SCALE[4];
  return SCALE[Math.min(index, 3)];
}
