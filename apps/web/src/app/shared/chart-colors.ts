/** Series colours that read on both themes (checked against the light and dark backgrounds). */
export const SERIES_COLORS = ['#2f80ed', '#eb5757', '#27ae60', '#f2994a', '#9b51e0', '#00a3a3', '#d4a106', '#e05fa8'];

/** A CSS variable of the current theme, for Chart.js, which draws on a canvas and cannot use var() itself. */
export function themeColor(name: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback;
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}
