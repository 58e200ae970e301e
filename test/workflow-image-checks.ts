/**
 * Workflow checks about images (docs/aws.md#images): a job that builds an image checks out the
 * whole history, and a promotion copies the promoted digest into production's own repository
 * before production's preview and up.
 */
import { pulumiSteps, stackCandidates } from "./workflow-checks";
import type { PlainMap, Workflow } from "./workflow-parse";
import { jobsOf, type Repo, type StepRef, stepsOf, str } from "./workflow-walk";

/** The step that runs the digest copy: `npm run copy-digest ... --run` (scripts/copy-digest.ts). */
export const isCopyStep = (s: StepRef) => /\bnpm run\b.*\bcopy-digest\b.*--run\b/.test(str(s.step.run) ?? "");
const isPromoteStep = (s: StepRef) => /\bnpm run\b.*\bpromote\b/.test(str(s.step.run) ?? "");

/** The stacks a job's pulumi/actions steps can run on (every matrix row and input choice). */
function jobStacks(wf: Workflow, job: string): string[] {
    return pulumiSteps(wf)
        .filter((s) => s.job === job)
        .flatMap((s) => (stackCandidates(wf, s) ?? []).map((c) => c.stack));
}

/**
 * Every job that builds an image (a pulumi/actions command on a stack with `image.build`:
 * docker-build builds at preview too; or a buildx builder set up) checks out with
 * `fetch-depth: 0`. The build tag's commit part is the last commit that changed the build context
 * (components/image.ts contextCommit); a shallow clone answers HEAD instead, so one content would
 * get another tag on each push and the preview would show a rebuild.
 */
export function checkBuildCheckouts(wf: Workflow, repo: Repo): string[] {
    const problems: string[] = [];
    for (const [job] of jobsOf(wf)) {
        const steps = stepsOf(wf, job);
        const building = jobStacks(wf, job).filter((st) => repo.stacks.find((x) => x.name === st)?.builds);
        const buildx = steps.some((s) => s.action === "docker/setup-buildx-action");
        if (building.length === 0 && !buildx) continue;
        const why =
            building.length > 0
                ? `builds the image of ${[...new Set(building)].join(", ")}`
                : "sets up buildx";
        const checkouts = steps.filter((s) => s.action === "actions/checkout");
        if (checkouts.length === 0)
            problems.push(`${wf.file} job ${job}: ${why} without an actions/checkout step`);
        for (const c of checkouts)
            if (String(c.with["fetch-depth"]) !== "0")
                problems.push(
                    `${c.where}: the job ${why} from a shallow clone (fetch-depth: 0 missing): the build tag's last commit of the context would not be stable`,
                );
    }
    return problems;
}

/** The jobs `job` waits for, directly or through others. */
function needsOf(wf: Workflow, job: string, seen = new Set<string>()): Set<string> {
    const body = jobsOf(wf).find(([id]) => id === job)?.[1] as PlainMap | undefined;
    const needs = body?.needs;
    const direct = Array.isArray(needs) ? needs.map(String) : typeof needs === "string" ? [needs] : [];
    for (const n of direct)
        if (!seen.has(n)) {
            seen.add(n);
            needsOf(wf, n, seen);
        }
    return seen;
}

/**
 * In a workflow that promotes (`npm run promote`), every pulumi/actions command on a production
 * stack comes after the digest copy into that stack's own repository: earlier in the same job, or
 * in a job it needs. Production pulls only from its own repository (SD-024); until the digest is
 * there, the preview's manifest check and the tasks' pulls fail.
 */
export function checkDigestCopy(wf: Workflow, repo: Repo): string[] {
    const all = stepsOf(wf);
    if (!all.some(isPromoteStep)) return [];
    const problems: string[] = [];
    for (const s of pulumiSteps(wf)) {
        const production = (stackCandidates(wf, s) ?? [])
            .map((c) => c.stack)
            .filter((st) => repo.stacks.find((x) => x.name === st)?.production);
        if (production.length === 0) continue;
        const before = needsOf(wf, s.job);
        const copied = all.some(
            (c) => isCopyStep(c) && ((c.job === s.job && c.index < s.index) || before.has(c.job)),
        );
        if (!copied)
            problems.push(
                `${s.where}: pulumi ${str(s.with.command)} on production stack ${production.join(", ")} before the promoted digest is copied into its own repository (a step running npm run copy-digest -- --from <staging> --to <production> --run must come first)`,
            );
    }
    return problems;
}
