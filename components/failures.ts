/**
 * The failure codes of docs/failures.md: one per failure this project stops, stable once
 * published (a retired failure keeps its code). Every message that reports one of them goes
 * through `cite`, so the code and the link to its entry read the same everywhere, like
 * ShellCheck's SC codes. test/failures.test.ts keeps this list and the page equal.
 *
 * Pure and dependency-free: the policy pack, the config check and the scripts all import it.
 */

/** Code -> the failure's name, as the page's index names it. */
export const FAILURES = {
    "SD-001": "image built for one CPU only",
    "SD-002": "image lacks the CPU the target runs",
    "SD-003": "VM host CPU differs from the declared one",
    "SD-004": "image referenced by a tag that can move",
    "SD-005": "production builds its own image",
    "SD-006": "env the app reads but the target does not set",
    "SD-007": "credential in plain config or plain env",
    "SD-008": "credential on a command line or in command output",
    "SD-009": "secret read at `latest`",
    "SD-010": "secret missing or not declared",
    "SD-011": "unsafe production database",
    "SD-012": "database port open to a network",
    "SD-013": "plain HTTP or weak TLS at the edge",
    "SD-014": "secret deleted at once",
    "SD-015": "probe that passes before the app is ready",
    "SD-016": "service nobody is told about",
    "SD-017": "registry credentials refused",
    "SD-018": "new version never becomes ready",
    "SD-019": "env name Cloud Run reserves",
    "SD-020": "traffic to a revision that does not exist",
    "SD-021": "tag value AWS refuses",
    "SD-022": "another deploy holds the host's lock",
    "SD-023": "test listener open to the world",
    "SD-024": "production image in another stack's repository",
    "SD-025": "CPU and memory the platform does not offer",
} as const;

export type FailureCode = keyof typeof FAILURES;

/** The page, relative to the repository root. */
export const FAILURES_PAGE = "docs/failures.md";

/**
 * A message with its code in front and its entry's link behind:
 * `cite("SD-012", "x opens 5432 to 0.0.0.0/0")` ->
 * `SD-012: x opens 5432 to 0.0.0.0/0 (see docs/failures.md#sd-012)`.
 */
export function cite(code: FailureCode, message: string): string {
    return `${code}: ${message} (see ${FAILURES_PAGE}#${code.toLowerCase()})`;
}
