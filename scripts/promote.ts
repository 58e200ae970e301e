/**
 * `npm run promote -- --from staging --to production [--outputs <file>] [--target-outputs <file>] [--preview <file>] [--dir <dir>]`
 *
 * Writes the digests staging runs healthily into the production stack file (pinned), so the
 * production change is a reviewable diff, and `pulumi preview --stack production` shows exactly it.
 * The decisions are pure (scripts/promotion.ts); this file reads and writes:
 * - the staging outputs: `pulumi stack output --json --stack <from>`, or `--outputs <file>` saved
 *   from it (offline);
 * - for Cloud Run services, the target's servingRevision outputs: `pulumi stack output --json
 *   --stack <to>`, or `--target-outputs <file>` saved from it. `cloudRun.traffic.previous` moves to
 *   the revision the target serves now, so a rollback (`percent: 0`) returns to what ran before
 *   this promotion rather than to the release before that;
 * - the target's pending changes: `pulumi preview --json --stack <to>` before the rewrite, or
 *   `--preview <file>` saved from it; offline without it, that check is reported as not verified;
 * - `git status` of the target stack file (a dirty file is refused: the diff must be only this);
 * - the offline plan of the target before and after the rewrite (scripts/plan.ts, with the policy
 *   pack): they must differ only in the digests, and the pack must pass.
 * Exit codes: 0 written (or nothing to promote); 1 refused, with the reasons; 2 bad input (unknown
 * stack, missing output, unpinned digest, dirty file, unreadable file). Nothing is written unless 0.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./offline";
import { knownStacks, runPlan } from "./plan-process";
import {
    changesBeyondDigests,
    changesBeyondTraffic,
    decide,
    needsServingRevision,
    parseServingRevisions,
    parseStagingOutputs,
    pendingChanges,
    PromotionInputError,
    rewriteStackFile,
    targetServices,
    withPrevious,
    type Change,
    type PlannedResource,
} from "./promotion";
import { copyDigestCommand } from "./copy-digest";

export interface PromoteArgs {
    from: string;
    to: string;
    outputs?: string;
    targetOutputs?: string;
    preview?: string;
    dir: string;
}

export function parseArgs(argv: string[]): PromoteArgs {
    const out: Partial<PromoteArgs> = { dir: ROOT };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new PromotionInputError(`${a} needs a value`);
            return v;
        };
        if (a === "--from") out.from = value();
        else if (a === "--to") out.to = value();
        else if (a === "--outputs") out.outputs = value();
        else if (a === "--target-outputs") out.targetOutputs = value();
        else if (a === "--preview") out.preview = value();
        else if (a === "--dir") out.dir = path.resolve(value());
        else throw new PromotionInputError(`unknown argument ${a}`);
    }
    if (!out.from || !out.to) throw new PromotionInputError("--from <stack> and --to <stack> are required");
    if (out.from === out.to) throw new PromotionInputError(`--from and --to are both ${out.from}`);
    return out as PromoteArgs;
}

function stackFile(dir: string, stack: string): string {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file))
        throw new PromotionInputError(
            `unknown stack ${stack}: no ${path.relative(process.cwd(), file) || file}; known stacks: ${knownStacks(dir).join(", ")}`,
        );
    return file;
}

function readJson(file: string, flag: string): unknown {
    if (!fs.existsSync(file)) throw new PromotionInputError(`${flag} ${file}: no such file`);
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new PromotionInputError(`${flag} ${file}: not JSON (${(e as Error).message})`);
    }
}

/** The thin adapter over the Pulumi CLI: JSON from a command, or a clear error. */
function pulumiJson(args: string[], cwd: string, offlineHint: string): unknown {
    const r = spawnSync("pulumi", args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT")
        throw new PromotionInputError(`the pulumi CLI is not on PATH; ${offlineHint}`);
    if (r.status !== 0)
        throw new PromotionInputError(
            `pulumi ${args.join(" ")} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}`,
        );
    try {
        return JSON.parse(r.stdout);
    } catch {
        throw new PromotionInputError(`pulumi ${args.join(" ")} printed no JSON`);
    }
}

function assertCommitted(file: string): void {
    const r = spawnSync("git", ["status", "--porcelain", "--", path.basename(file)], {
        cwd: path.dirname(file),
        encoding: "utf8",
    });
    if (r.error || r.status !== 0)
        throw new PromotionInputError(
            `cannot tell whether ${file} is committed (git: ${(r.error?.message ?? r.stderr).trim()}); the promotion must be the only change in it`,
        );
    if (r.stdout.trim() !== "")
        throw new PromotionInputError(
            `${path.basename(file)} has uncommitted changes (git status: ${r.stdout.trim()}); commit or discard them first, so the promotion is the only change in it`,
        );
}

/** The offline plan of a stack with a config file: resources, or its error (a refusal). */
async function plan(
    stack: string,
    config: string,
    lastOutputs?: string,
): Promise<{ resources?: PlannedResource[]; error?: string }> {
    const { code, stdout, stderr } = await runPlan([
        "--stack",
        stack,
        "--config",
        config,
        "--json",
        ...(lastOutputs ? ["--last-outputs", lastOutputs] : []),
    ]);
    let doc: any;
    try {
        doc = JSON.parse(stdout);
    } catch {
        doc = undefined;
    }
    if (code === 0 && doc) return { resources: doc.resources };
    const violations = doc?.violations
        ?.map((v: any) => `[${v.enforcementLevel}] ${v.policy}: ${v.message}`)
        .join("\n    ");
    return { error: violations || stderr.trim() || `exit ${code}` };
}

const short = (ref: string) => ref.replace(/@sha256:([0-9a-f]{12})[0-9a-f]{52}$/, "@sha256:$1…");

export async function promote(args: PromoteArgs, log: (line: string) => void): Promise<number> {
    stackFile(args.dir, args.from);
    const toFile = stackFile(args.dir, args.to);
    assertCommitted(toFile);
    const outputs = args.outputs
        ? readJson(args.outputs, "--outputs")
        : pulumiJson(
              ["stack", "output", "--json", "--stack", args.from],
              args.dir,
              `pass --outputs <file> saved from \`pulumi stack output --json --stack ${args.from}\``,
          );
    const staging = parseStagingOutputs(
        outputs,
        args.outputs ? `--outputs ${args.outputs}` : `outputs of stack ${args.from}`,
    );
    const text = fs.readFileSync(toFile, "utf8");
    const target = targetServices(text, path.basename(toFile));
    const decision = decide({ from: args.from, to: args.to, staging, target });
    if (decision.kind === "refuse") {
        log(`promote ${args.from} -> ${args.to}: refused`);
        for (const r of decision.reasons) log(`  - ${r}`);
        return 1;
    }
    if (decision.changes.length === 0) {
        log(
            `promote ${args.from} -> ${args.to}: nothing to promote; ${path.basename(toFile)} already pins what ${args.from} runs (${decision.unchanged.join(", ")})`,
        );
        return 0;
    }

    const cloudRun = needsServingRevision(decision.changes, target);
    let changes = decision.changes;
    // The target's outputs, as its plan's StackReference to itself reads them (which revisions exist).
    let targetOutputsFile: string | undefined;
    if (cloudRun.length > 0) {
        const hint = `pass --target-outputs <file> saved from \`pulumi stack output --json --stack ${args.to}\``;
        // Offline (--outputs) runs stay offline: the target's outputs come from a file too.
        if (!args.targetOutputs && args.outputs)
            throw new PromotionInputError(
                `${cloudRun.join(", ")} run${cloudRun.length === 1 ? "s" : ""} on Cloud Run: promotion moves cloudRun.traffic.previous to the revision ${args.to} serves now; ${hint}`,
            );
        const doc = args.targetOutputs
            ? readJson(args.targetOutputs, "--target-outputs")
            : pulumiJson(["stack", "output", "--json", "--stack", args.to], args.dir, hint);
        targetOutputsFile = path.join(
            fs.mkdtempSync(path.join(os.tmpdir(), "promote-outputs-")),
            "outputs.json",
        );
        fs.writeFileSync(targetOutputsFile, JSON.stringify(doc));
        changes = withPrevious(
            changes,
            target,
            parseServingRevisions(
                doc,
                args.targetOutputs ? `--target-outputs ${args.targetOutputs}` : `outputs of stack ${args.to}`,
                cloudRun,
            ),
        );
    }

    const notes: string[] = [];
    let pending: string[] = [];
    if (args.preview)
        pending = pendingChanges(readJson(args.preview, "--preview"), `--preview ${args.preview}`);
    else if (!args.outputs)
        pending = pendingChanges(
            pulumiJson(["preview", "--json", "--stack", args.to], args.dir, "pass --preview <file>"),
            `pulumi preview --stack ${args.to}`,
        );
    else
        notes.push(
            `not verified offline: that ${args.to} has no pending changes besides the digests (pass --preview <file> saved from \`pulumi preview --json --stack ${args.to}\` before promoting)`,
        );
    if (pending.length > 0) {
        log(`promote ${args.from} -> ${args.to}: refused`);
        log(
            `  - ${args.to} would change more than the promoted digests: before the rewrite its preview already has ${pending.length} pending change${pending.length === 1 ? "" : "s"} (code or config not yet deployed there). Deploy or revert them first:`,
        );
        for (const p of pending.slice(0, 20)) log(`      ${p}`);
        return 1;
    }

    const next = rewriteStackFile(text, changes);
    // Moving traffic.previous is checked on its own: the original and the baseline (previous
    // moved, old digests) may differ in Cloud Run's traffic alone, and the baseline and the
    // result in the digests alone.
    const baseline = rewriteStackFile(text, changes, { digests: false });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "promote-"));
    const tmp = path.join(work, path.basename(toFile));
    const tmpBaseline = path.join(work, `baseline.${path.basename(toFile)}`);
    fs.writeFileSync(tmp, next);
    fs.writeFileSync(tmpBaseline, baseline);
    try {
        const moved = baseline !== text;
        const [before, base, after] = await Promise.all([
            plan(args.to, toFile, targetOutputsFile),
            moved ? plan(args.to, tmpBaseline, targetOutputsFile) : undefined,
            plan(args.to, tmp, targetOutputsFile),
        ]);
        const reasons: string[] = [];
        if (before.error)
            reasons.push(`the offline plan of ${args.to} fails before the rewrite:\n    ${before.error}`);
        if (base?.error)
            reasons.push(
                `the offline plan of ${args.to} fails with cloudRun.traffic.previous moved:\n    ${base.error}`,
            );
        if (after.error)
            reasons.push(
                `the offline plan of ${args.to} with the promoted digests fails:\n    ${after.error}`,
            );
        const from = base ?? before;
        if (base?.resources && before.resources) {
            const extra = changesBeyondTraffic(before.resources, base.resources);
            if (extra.length > 0)
                reasons.push(
                    `moving cloudRun.traffic.previous would change more than Cloud Run's traffic:\n    ${extra.join("\n    ")}`,
                );
        }
        if (from.resources && after.resources) {
            const extra = changesBeyondDigests(from.resources, after.resources, changes);
            if (extra.length > 0)
                reasons.push(
                    `${args.to} would change more than the promoted digests:\n    ${extra.join("\n    ")}`,
                );
        }
        if (reasons.length > 0) {
            log(`promote ${args.from} -> ${args.to}: refused`);
            for (const r of reasons) log(`  - ${r}`);
            return 1;
        }
        // Same directory, then rename: the stack file is either the old or the new one.
        const staged = `${toFile}.promote-${process.pid}`;
        fs.writeFileSync(staged, next);
        fs.renameSync(staged, toFile);
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
    log(`promote ${args.from} -> ${args.to}: wrote ${path.basename(toFile)}`);
    for (const c of changes)
        log(describe(c, staging.find((s) => s.name === c.service)!.deployed.evidence, args.from, args.to));
    for (const n of notes) log(`  ${n}`);
    const only = changes.some((c) => c.previous)
        ? "only the digests and Cloud Run's traffic change"
        : "only the digests change";
    log(
        `Next: git diff ${path.basename(toFile)}; pulumi preview --stack ${args.to} --policy-pack policies --policy-pack-config policies/config/${args.to}.json (${only}); commit; the promote workflow deploys it.`,
    );
    return 0;
}

function describe(c: Change, evidence: string, from: string, to: string): string {
    const lines = [`  ${c.service}: ${short(c.from)} -> ${short(c.to)}  (${from}: ${evidence})`];
    if (c.previous)
        lines.push(
            `    cloudRun.traffic.previous: ${c.previous.from ?? "(unset)"} -> ${c.previous.to}  (what ${to} serves now; \`percent: 0\` rolls back to it)`,
        );
    if (c.copyFrom)
        lines.push(
            `    the digest comes from ${c.copyFrom.split("@")[0]}: copy it first, digest intact, e.g. \`${copyDigestCommand(c.copyFrom, c.to)}\` (promote.yml runs npm run copy-digest -- --from ${from} --to ${to} --run; the preview's manifest check fails until it is there)`,
        );
    return lines.join("\n");
}

if (require.main === module) {
    process.setSourceMapsEnabled(false);
    let args: PromoteArgs;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(
            `promote: ${(e as Error).message}\nusage: npm run promote -- --from <stack> --to <stack> [--outputs <file>] [--target-outputs <file>] [--preview <file>] [--dir <dir>]\n`,
        );
        process.exit(2);
    }
    promote(args, (l) => process.stderr.write(`${l}\n`)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(
                `promote: ${e instanceof PromotionInputError ? e.message : (e?.stack ?? e)}\nNothing was written.\n`,
            );
            process.exit(e instanceof PromotionInputError ? 2 : 1);
        },
    );
}
