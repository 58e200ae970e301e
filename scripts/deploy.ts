/**
 * `npm run deploy -- --stack <name> [--yes]`: the main job. The offline plan with the policy pack
 * first (exit on a violation or bad config, as `npm run plan` does); then, where a Pulumi CLI and
 * credentials exist, `pulumi up` of that stack with the same pack and its config. Production is
 * never deployed from here: it goes through promotion (`npm run promote`, the promote workflow).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "./offline";
import { planArgv } from "./plan-process";
import { stackConfigOf } from "./policy-config";

export type Step = { run: string[] } | { skip: string };

/** What follows a passing offline plan. Pure. */
export function nextStep(a: {
    stack: string;
    production: boolean;
    cli: "missing" | "logged-out" | "ready";
    yes: boolean;
}): Step {
    if (a.production)
        return {
            skip: `${a.stack} is a production stack: it is deployed by promotion only (npm run promote -- --from <staging> --to ${a.stack}, then the promote workflow)`,
        };
    if (a.cli === "missing")
        return {
            skip: "no pulumi CLI on PATH: offline plan only (install it from https://www.pulumi.com/docs/install/ to deploy)",
        };
    if (a.cli === "logged-out")
        return {
            skip: "the pulumi CLI is not logged in: offline plan only (pulumi login, or pulumi login s3://<bucket> / gs://<bucket>)",
        };
    const up = [
        "up",
        "--stack",
        a.stack,
        "--policy-pack",
        "policies",
        "--policy-pack-config",
        `policies/config/${a.stack}.json`,
    ];
    return { run: a.yes ? [...up, "--yes"] : up };
}

function main(argv: string[]): number {
    const stack = argv[argv.indexOf("--stack") + 1];
    const unknown = argv.filter((a, i) => !["--stack", "--yes"].includes(a) && argv[i - 1] !== "--stack");
    if (!argv.includes("--stack") || !stack || stack.startsWith("--") || unknown.length > 0) {
        process.stderr.write(
            `deploy: ${unknown.length ? `unknown argument ${unknown[0]}` : "--stack <name> is required"}\nusage: npm run deploy -- --stack <name> [--yes]\n`,
        );
        return 2;
    }
    const plan = spawnSync(process.execPath, planArgv(["--stack", stack]), { cwd: ROOT, stdio: "inherit" });
    if (plan.status !== 0) return plan.status ?? 1;
    const whoami = spawnSync("pulumi", ["whoami"], { cwd: ROOT, encoding: "utf8" });
    const cli = whoami.error ? "missing" : whoami.status === 0 ? "ready" : "logged-out";
    const step = nextStep({
        stack,
        production: stackConfigOf(path.join(ROOT, `Pulumi.${stack}.yaml`)).production,
        cli,
        yes: argv.includes("--yes"),
    });
    if ("skip" in step) {
        process.stderr.write(`deploy: the offline plan passed; ${step.skip}\n`);
        return 0;
    }
    process.stderr.write(`deploy: pulumi ${step.run.join(" ")}\n`);
    return spawnSync("pulumi", step.run, { cwd: ROOT, stdio: "inherit" }).status ?? 1;
}

if (require.main === module) {
    process.setSourceMapsEnabled(false);
    process.exit(main(process.argv.slice(2)));
}
