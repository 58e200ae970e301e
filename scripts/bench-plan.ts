/**
 * `npm run bench:plan`: wall time of the offline plan per committed stack, next to the floor of
 * `node -e "require('@pulumi/pulumi')"`, measured in the same run (median of N runs each).
 * Targets: <= 2 s per stack and <= 2.5x the floor. A benchmark, not a test: it reports, it does
 * not fail on a slow machine.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { knownStacks } from "./plan";

const ROOT = path.resolve(__dirname, "..");
const runs = Number(process.env.BENCH_RUNS ?? 5);

function time(args: string[]): number {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const floor = median(Array.from({ length: runs }, () => time(["-e", "require('@pulumi/pulumi')"])));
const rows = knownStacks().map((stack) => {
    const ms = median(
        Array.from({ length: runs }, () =>
            time(["--require", "./scripts/register.js", "scripts/plan.ts", "--stack", stack, "--json"]),
        ),
    );
    // The conformance layer's share of that plan: its first pass (models loaded from the
    // recorded extract) over the same graph, in a process of its own.
    const c = spawnSync(
        process.execPath,
        ["--require", "./scripts/register.js", "scripts/conformance/cost.ts", stack],
        { cwd: ROOT, encoding: "utf8" },
    );
    const cost = JSON.parse(c.stdout.trim().split("\n").pop() ?? "{}") as {
        firstMs?: number;
        findings?: number;
    };
    const conformanceMs = Math.round(cost.firstMs ?? 0);
    return {
        stack,
        ms: Math.round(ms),
        ratio: Number((ms / floor).toFixed(2)),
        conformanceMs,
        withVsWithout: Number((ms / Math.max(1, ms - conformanceMs)).toFixed(3)),
        findings: cost.findings ?? 0,
    };
});
console.log(`floor: node -e "require('@pulumi/pulumi')" ${Math.round(floor)} ms (median of ${runs})`);
for (const r of rows) {
    console.log(
        `plan ${r.stack.padEnd(12)} ${String(r.ms).padStart(5)} ms  ${r.ratio}x floor  conformance ${r.conformanceMs} ms (${r.withVsWithout}x without, ${r.findings} findings)  ${r.ms <= 2000 && r.ratio <= 2.5 ? "within target" : "OVER TARGET (<= 2000 ms and <= 2.5x)"}`,
    );
}
console.log(JSON.stringify({ floorMs: Math.round(floor), plans: rows }));
