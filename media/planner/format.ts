/** Number formatting for the planner view. */
export const GiB = 1024 ** 3;
export const gib = (b: number): string => (b / GiB).toFixed(1);
export const gb = (b: number): string => (b / 1e9).toFixed(1);
export function contextLabel(c: number): string {
    return c >= 1024 && c % 1024 === 0 ? `${c / 1024}K` : String(c);
}
