/**
 * Levenshtein distance, case-insensitive: the one measure of "close enough to be a typo" that the
 * config check's "did you mean" and the policy pack's near-miss hints share, so both agree.
 * Pure and dependency-free: the pack imports it as it imports components/failures.ts.
 */

/** Levenshtein distance, case-insensitive. */
export function distance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = prev[j];
            prev[j] = Math.min(
                prev[j] + 1,
                prev[j - 1] + 1,
                diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
            );
            diag = tmp;
        }
    }
    return prev[b.length];
}
