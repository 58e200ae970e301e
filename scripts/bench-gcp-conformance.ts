/**
 * `node --require ./scripts/register.js scripts/bench-gcp-conformance.ts`: per GCP stack, the wall
 * time of the offline plan (`npm run plan -- --stack <s> --json`, median of BENCH_RUNS) and the
 * time the Google Cloud checker takes over that plan's graph (median of 200 calls), with their
 * ratio, measured in one run. A benchmark, not a test: it reports, it does not fail.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { runOffline } from "./offline";
import { gcpChecker } from "./conformance/gcp";

const ROOT = path.resolve(__dirname, "..");
const STACKS = ["gcp-staging", "gcp-production"];
const runs = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function inner(stack: string): Promise<void> {
    const result = await runOffline({ stack });
    if (result.error) throw result.error;
    const times: number[] = [];
    let findings = 0;
    for (let i = 0; i < 200; i++) {
        const t = process.hrtime.bigint();
        findings = gcpChecker(result.resources).length;
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    console.log(JSON.stringify({ checkerMs: median(times), resources: result.resources.length, findings }));
}

function outer(): void {
    const rows = STACKS.map((stack) => {
        const plans = Array.from({ length: runs }, () => {
            const t = process.hrtime.bigint();
            const r = spawnSync(
                process.execPath,
                ["--require", "./scripts/register.js", "scripts/plan.ts", "--stack", stack, "--json"],
                { cwd: ROOT, encoding: "utf8" },
            );
            if (r.status !== 0) throw new Error(`plan ${stack} exited ${r.status}: ${r.stderr}`);
            return Number(process.hrtime.bigint() - t) / 1e6;
        });
        const r = spawnSync(
            process.execPath,
            ["--require", "./scripts/register.js", __filename, "--inner", stack],
            { cwd: ROOT, encoding: "utf8" },
        );
        if (r.status !== 0) throw new Error(r.stderr);
        const c = JSON.parse(r.stdout.trim().split("\n").pop()!);
        const planMs = median(plans);
        return { stack, planMs: Math.round(planMs), ...c, ratio: Number((c.checkerMs / planMs).toFixed(5)) };
    });
    for (const r of rows)
        console.log(
            `${r.stack.padEnd(15)} plan ${String(r.planMs).padStart(5)} ms  checker ${r.checkerMs.toFixed(3)} ms over ${r.resources} resources (${r.findings} findings)  checker/plan ${(r.ratio * 100).toFixed(3)}%`,
        );
    console.log(JSON.stringify({ runs, rows }));
}

const i = process.argv.indexOf("--inner");
if (i >= 0)
    inner(process.argv[i + 1]).catch((e) => {
        console.error(e);
        process.exit(1);
    });
else outer();
