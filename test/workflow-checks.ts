/**
 * Checks of the GitHub Actions workflows in .github/workflows, as pure functions that return
 * the problems they find (test/workflows.test.ts runs them over the real files and over small
 * broken workflows). Workflows and the recorded action.yml files are read with GitHub's own
 * parser, @actions/workflow-parser (the one behind the Actions language server): its template
 * and schema errors are the first check; the checks below run over the document it parsed.
 *
 * The pieces: workflow-parse.ts (GitHub's parser), workflow-rules.ts (what is known about the
 * actions), workflow-walk.ts (the repository's stacks, walking a workflow), and the checks here
 * and in workflow-image-checks.ts (imported directly). This file is the entry point the tests import.
 */
export * from "./workflow-parse";
export * from "./workflow-rules";
export * from "./workflow-walk";
import { isMap, type RecordedAction, type Workflow } from "./workflow-parse";
import {
    ACTION_RULES,
    CLOUD_AUTH_ACTIONS,
    LONG_LIVED_INPUTS,
    LONG_LIVED_NAME,
    upGroup,
    CHANGING_COMMANDS,
} from "./workflow-rules";
import {
    type Repo,
    str,
    type StepRef,
    jobsOf,
    stepsOf,
    matrixCombinations,
    jobBindings,
    resolve,
    environmentName,
    hasIdTokenWrite,
    walk,
    whereIs,
    closest,
} from "./workflow-walk";

// ---------------------------------------------------------------------------------------------
// The checks

/** Parser errors, as problems. */
export function checkParsed(wf: Workflow): string[] {
    return wf.errors.map((e) => `${wf.file}: ${e}`);
}

/**
 * Every repository action is a recorded one, pinned to the recorded commit; every `with:` key is a
 * declared input; required inputs are there; inputs with fixed choices or booleans hold valid values.
 */
export function checkActionInputs(wf: Workflow, recorded: RecordedAction[]): string[] {
    const problems: string[] = [];
    for (const s of stepsOf(wf)) {
        const uses = str(s.step.uses);
        if (uses === undefined) continue;
        const action = s.action ? recorded.find((r) => r.repo === s.action) : undefined;
        if (!action) {
            problems.push(`${s.where}: ${uses} has no recorded action.yml under test/fixtures/actions`);
            continue;
        }
        if (s.ref !== action.commit)
            problems.push(
                `${s.where}: ${uses} is not pinned to the recorded commit ${action.commit} (${action.tag})`,
            );
        const rules = ACTION_RULES[action.repo] ?? {};
        const declared = [...action.inputs.keys()];
        for (const [key, raw] of Object.entries(s.with)) {
            if (!action.inputs.has(key)) {
                const near = closest(key, declared);
                problems.push(
                    `${s.where}: ${action.repo} has no input "${key}"${near ? ` (did you mean "${near}"?)` : ""}`,
                );
                continue;
            }
            const value = str(raw);
            if (value === undefined || value.includes("${{")) continue;
            const choice = rules.choices?.[key];
            if (choice && !choice.values.includes(value)) {
                const near = closest(value, choice.values);
                problems.push(
                    `${s.where}: ${key}: "${value}" is not one of ${choice.values.map((v) => JSON.stringify(v)).join(", ")}${near ? ` (did you mean "${near}"?)` : ""}`,
                );
            }
            if (rules.booleans?.includes(key) && value !== "true" && value !== "false")
                problems.push(`${s.where}: ${key}: "${value}" is not true or false`);
        }
        for (const [name, input] of action.inputs) {
            if (input.required && input.default === undefined && !(name in s.with))
                problems.push(`${s.where}: ${action.repo} needs input "${name}"`);
        }
        for (const r of rules.requiredWith ?? []) {
            if (r.when in s.with && !(r.input in s.with))
                problems.push(`${s.where}: ${action.repo} needs input "${r.input}" with "${r.when}"`);
        }
    }
    return problems;
}

/**
 * No long-lived cloud key anywhere (secrets or variables named like one, key inputs of the auth
 * actions, key environment variables); every workflow states its permissions; `id-token: write`
 * only in jobs that turn it into cloud credentials, and every such job has it.
 */
export function checkSecurity(wf: Workflow): string[] {
    const problems: string[] = [];
    if (wf.doc.permissions === undefined)
        problems.push(`${wf.file}: no top-level permissions (state them; jobs add what they need)`);
    if (hasIdTokenWrite(wf.doc.permissions))
        problems.push(
            `${wf.file}: id-token: write at the workflow level (grant it only to the jobs that assume a cloud role)`,
        );
    for (const [job, body] of jobsOf(wf)) {
        const steps = stepsOf(wf, job);
        const assumes = steps.some((s) => s.action !== undefined && CLOUD_AUTH_ACTIONS.includes(s.action));
        const token = hasIdTokenWrite(body.permissions ?? wf.doc.permissions);
        if (token && !assumes)
            problems.push(`${wf.file} job ${job}: id-token: write without a cloud credentials step`);
        if (assumes && !token)
            problems.push(`${wf.file} job ${job}: cloud credentials without id-token: write (OIDC needs it)`);
        for (const s of steps) {
            for (const key of LONG_LIVED_INPUTS[s.action ?? ""] ?? []) {
                if (key in s.with)
                    problems.push(`${s.where}: input ${key} is a long-lived cloud key; use OIDC`);
            }
        }
    }
    for (const [at, v] of walk(wf.doc)) {
        // `env:` keys that would hand a key to every later tool
        if (
            at[at.length - 2] === "env" &&
            typeof at[at.length - 1] === "string" &&
            LONG_LIVED_NAME.test(String(at[at.length - 1]))
        ) {
            problems.push(`${whereIs(wf, at)}: env ${at[at.length - 1]} is a long-lived cloud key; use OIDC`);
        }
        if (typeof v !== "string") continue;
        for (const m of v.matchAll(/\b(secrets|vars)\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*'([^']+)'\s*\])/g)) {
            const name = m[2] ?? m[3];
            if (LONG_LIVED_NAME.test(name))
                problems.push(`${whereIs(wf, at)}: ${m[1]}.${name} is a long-lived cloud key; use OIDC`);
        }
        if (/toJSON\(\s*secrets\s*\)/i.test(v))
            problems.push(`${whereIs(wf, at)}: toJSON(secrets) hands out every secret`);
    }
    return problems;
}

/** The stacks a pulumi/actions step's `stack-name` can name in its job, or undefined when an expression cannot be resolved. */
export function stackCandidates(
    wf: Workflow,
    s: StepRef,
): { stack: string; binding: Record<string, string> }[] | undefined {
    const name = str(s.with["stack-name"]);
    const job = jobsOf(wf).find(([id]) => id === s.job)?.[1];
    const bindings = job ? jobBindings(wf, job) : undefined;
    if (name === undefined || !bindings) return undefined;
    const out: { stack: string; binding: Record<string, string> }[] = [];
    for (const b of bindings) {
        const stack = resolve(name, b);
        if (stack === undefined) return undefined;
        if (!out.some((o) => o.stack === stack)) out.push({ stack, binding: b });
    }
    return out;
}

/** pulumi/actions steps that run a command (the steps without one only install the CLI). */
export function pulumiSteps(wf: Workflow): StepRef[] {
    return stepsOf(wf).filter((s) => s.action === "pulumi/actions" && s.with.command !== undefined);
}

/**
 * Production changes only in promote.yml, in a job with `environment: production`; no `pulumi up`
 * (or preview, destroy, refresh) in a run step, where neither the stack nor the policy pack can be
 * checked; every changing step runs in its stack's concurrency group (`pulumi-up-<stack>`, the same
 * in every workflow, so two changes to one stack never overlap) without cancel-in-progress.
 */
export function checkDeploys(wf: Workflow, repo: Repo): string[] {
    const problems: string[] = [];
    for (const s of stepsOf(wf)) {
        const run = str(s.step.run);
        const m = run ? /\bpulumi\s+(up|update|destroy|refresh|preview)\b/.exec(run) : null;
        if (m)
            problems.push(
                `${s.where}: runs "pulumi ${m[1]}" in a run step; use pulumi/actions (its stack and policy pack are checked)`,
            );
    }
    for (const s of pulumiSteps(wf)) {
        const command = str(s.with.command) ?? "";
        if (!CHANGING_COMMANDS.includes(command)) continue;
        const candidates = stackCandidates(wf, s);
        if (!candidates) {
            problems.push(
                `${s.where}: stack-name ${JSON.stringify(str(s.with["stack-name"]) ?? null)} does not resolve to stacks (use a literal, the matrix, or a choice input)`,
            );
            continue;
        }
        const job = jobsOf(wf).find(([id]) => id === s.job)![1];
        for (const { stack, binding } of candidates) {
            const info = repo.stacks.find((x) => x.name === stack);
            if (!info)
                problems.push(
                    `${s.where}: pulumi ${command} on "${stack}", which has no Pulumi.${stack}.yaml`,
                );
            if (info?.production) {
                if (wf.file !== "promote.yml")
                    problems.push(
                        `${s.where}: pulumi ${command} on production stack "${stack}" outside promote.yml`,
                    );
                if (environmentName(job) !== "production")
                    problems.push(
                        `${s.where}: pulumi ${command} on production stack "${stack}" in a job without environment: production`,
                    );
            }
            const concurrency = job.concurrency ?? wf.doc.concurrency;
            const group = isMap(concurrency) ? str(concurrency.group) : str(concurrency);
            const cancels =
                isMap(concurrency) &&
                concurrency["cancel-in-progress"] !== undefined &&
                concurrency["cancel-in-progress"] !== false;
            if ((group === undefined ? undefined : resolve(group, binding)) !== upGroup(stack)) {
                problems.push(
                    `${s.where}: pulumi ${command} on "${stack}" is not in concurrency group ${upGroup(stack)}`,
                );
            } else if (cancels) {
                problems.push(
                    `${s.where}: pulumi ${command} on "${stack}" may be cancelled half-way (cancel-in-progress)`,
                );
            }
        }
    }
    return problems;
}

/** Every pulumi/actions command runs with the pack (`policies`) and that stack's `policies/config/<stack>.json`, which exists. */
export function checkPolicyPack(wf: Workflow, repo: Repo): string[] {
    const problems: string[] = [];
    for (const s of pulumiSteps(wf)) {
        const packs = (str(s.with.policyPacks) ?? "")
            .split(/[\n,]/)
            .map((x) => x.trim())
            .filter(Boolean);
        if (!packs.includes("policies")) problems.push(`${s.where}: no policyPacks: policies`);
        const configs = (str(s.with.policyPackConfigs) ?? "")
            .split(/[\n,]/)
            .map((x) => x.trim())
            .filter(Boolean);
        if (configs.length !== packs.length)
            problems.push(
                `${s.where}: ${packs.length} policy pack(s) but ${configs.length} policyPackConfigs`,
            );
        const candidates = stackCandidates(wf, s);
        if (!candidates) {
            problems.push(
                `${s.where}: stack-name ${JSON.stringify(str(s.with["stack-name"]) ?? null)} does not resolve to stacks (use a literal, the matrix, or a choice input)`,
            );
            continue;
        }
        const config = configs[packs.indexOf("policies")];
        if (config === undefined) continue;
        for (const { stack, binding } of candidates) {
            const file = resolve(config, binding);
            const expected = `policies/config/${stack}.json`;
            if (file !== expected)
                problems.push(
                    `${s.where}: stack "${stack}" gets policy config ${file ?? config}, not ${expected}`,
                );
            else if (!repo.policyConfigs.includes(expected))
                problems.push(
                    `${s.where}: ${expected} does not exist (npm run policy-config -- --stack ${stack})`,
                );
        }
    }
    return problems;
}

/**
 * The job's matrix lists exactly `expected` stacks under `stack`, and each entry's `cloud`,
 * `aws-region` and `builds` (when given) agree with the stack file.
 */
export function checkStackMatrix(wf: Workflow, jobId: string, expected: string[], repo: Repo): string[] {
    const job = jobsOf(wf).find(([id]) => id === jobId)?.[1];
    if (!job) return [`${wf.file}: no job ${jobId}`];
    const combos = matrixCombinations(job);
    if (!combos) return [`${wf.file} job ${jobId}: the matrix is an expression; list the stacks`];
    const problems: string[] = [];
    const listed = combos.map((c) => c.stack).filter((x): x is string => x !== undefined);
    for (const stack of expected)
        if (!listed.includes(stack))
            problems.push(`${wf.file} job ${jobId}: the matrix lacks stack ${stack}`);
    for (const stack of listed)
        if (!expected.includes(stack))
            problems.push(
                `${wf.file} job ${jobId}: the matrix lists ${stack}, which ${repo.stacks.some((x) => x.name === stack) ? "does not belong here" : `has no Pulumi.${stack}.yaml`}`,
            );
    for (const stack of new Set(listed))
        if (listed.filter((x) => x === stack).length > 1)
            problems.push(`${wf.file} job ${jobId}: the matrix lists ${stack} twice`);
    for (const c of combos) {
        const info = repo.stacks.find((x) => x.name === c.stack);
        if (!info) continue;
        if (c.cloud !== undefined && !(info.clouds.length === 1 && info.clouds[0] === c.cloud))
            problems.push(
                `${wf.file} job ${jobId}: ${c.stack} gets ${c.cloud} credentials; its stack file needs ${info.clouds.join(" and ") || "none"}`,
            );
        if (c["aws-region"] !== undefined && c["aws-region"] !== info.awsRegion)
            problems.push(
                `${wf.file} job ${jobId}: ${c.stack} assumes its AWS role in ${c["aws-region"]}; its stack file says aws:region ${info.awsRegion ?? "(none)"}`,
            );
        if (c.cloud === "aws" && c["aws-region"] === undefined)
            problems.push(`${wf.file} job ${jobId}: ${c.stack} has no aws-region`);
        if (c.builds !== undefined && (c.builds === "true") !== info.builds)
            problems.push(
                `${wf.file} job ${jobId}: ${c.stack} has builds: ${c.builds}; its stack file ${info.builds ? "builds an image" : "builds nothing"}`,
            );
    }
    return problems;
}

/** Every `npm run <script>` in a run step is a script of package.json. */
export function checkNpmScripts(wf: Workflow, repo: Repo): string[] {
    const problems: string[] = [];
    for (const s of stepsOf(wf)) {
        for (const m of (str(s.step.run) ?? "").matchAll(/\bnpm run(?:\s+-\S+)*\s+([\w:-]+)/g)) {
            if (!repo.scripts.includes(m[1]))
                problems.push(`${s.where}: npm run ${m[1]} is not a script of package.json`);
        }
    }
    return problems;
}
