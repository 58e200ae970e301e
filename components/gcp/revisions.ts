/** Which revisions a Cloud Run service's traffic config may name, and which the stack remembers (pure). */
import type { TrafficEntry } from "./cloud-run-service";

/**
 * Traffic entries that name a revision the stack has not created (`known`: its last `revisions`
 * output), each with the config key under `cloudRun.traffic`. Pure.
 */
export function unknownTrafficRevisions(
    t: { previous?: string; keep: string[] },
    known: readonly string[],
): { path: string; revision: string }[] {
    const out: { path: string; revision: string }[] = [];
    if (t.previous && !known.includes(t.previous)) out.push({ path: "previous", revision: t.previous });
    t.keep.forEach((r, i) => {
        if (!known.includes(r)) out.push({ path: `keep[${i}]`, revision: r });
    });
    return out;
}

/** How many revisions the `revisions` output remembers (newest first). */
export const REMEMBERED_REVISIONS = 20;

/** The `revisions` output after this update: this plan's revisions, then the ones known before. Pure. */
export function revisionsAfter(known: readonly string[], plan: TrafficEntry[]): string[] {
    return [...new Set([...plan.map((e) => e.revision), ...known])].slice(0, REMEMBERED_REVISIONS);
}
