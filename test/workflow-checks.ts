/**
 * Checks of the GitHub Actions workflows in .github/workflows, as pure functions that return
 * the problems they find (test/workflows.test.ts runs them over the real files and over small
 * broken workflows). Workflows and the recorded action.yml files are read with GitHub's own
 * parser, @actions/workflow-parser (the one behind the Actions language server): its template
 * and schema errors are the first check; the checks below run over the document it parsed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";

/** A parsed YAML value; an expression keeps its source text (`policies/config/${{ matrix.stack }}.json`). */
export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };
export type PlainMap = { [key: string]: Plain };

export interface Workflow {
    /** File name, e.g. `promote.yml`: messages start with it, and promote.yml is the one file allowed to deploy production. */
    file: string;
    /** The parser's template and schema errors, as it words them. */
    errors: string[];
    doc: PlainMap;
}

// ---------------------------------------------------------------------------------------------
// Parsing (GitHub's parser; ESM-only, so loaded with import())

type Parser = typeof import("@actions/workflow-parser", { with: { "resolution-mode": "import" }});
type ActionsParser = typeof import("@actions/workflow-parser/actions/index", { with: {
    "resolution-mode": "import",
}});
type Token = import("@actions/workflow-parser/templates/tokens/template-token", { with: {
    "resolution-mode": "import",
}}).TemplateToken;

let parser: Promise<[Parser, ActionsParser]> | undefined;
function loadParser(): Promise<[Parser, ActionsParser]> {
    parser ??= Promise.all([
        import("@actions/workflow-parser"),
        import("@actions/workflow-parser/actions/index"),
    ]);
    return parser;
}

/** The token tree as plain values; expressions as their source text. */
function toPlain(wp: Parser, t: Token): Plain {
    if (wp.isMapping(t)) {
        const out: PlainMap = {};
        for (const { key, value } of t)
            out[wp.isString(key) ? key.value : key.toString()] = toPlain(wp, value);
        return out;
    }
    if (wp.isSequence(t)) {
        const out: Plain[] = [];
        for (let i = 0; i < t.count; i++) out.push(toPlain(wp, t.get(i)));
        return out;
    }
    if (wp.isString(t) || wp.isBoolean(t) || wp.isNumber(t)) return t.value;
    if (wp.isBasicExpression(t)) return t.source ?? `\${{ ${t.expression} }}`;
    if (t.isExpression) return t.toString();
    return null;
}

/** Parses and converts a workflow as GitHub does; every template or schema error is kept. */
export async function parseWorkflowText(file: string, content: string): Promise<Workflow> {
    const [wp] = await loadParser();
    const result = wp.parseWorkflow({ name: file, content }, new wp.NoOperationTraceWriter());
    const errors = result.context.errors.getErrors().map((e) => e.message);
    if (result.value) {
        const template = await wp.convertWorkflowTemplate(result.context, result.value);
        for (const e of template.errors ?? []) if (!errors.includes(e.Message)) errors.push(e.Message);
    }
    const doc = result.value ? toPlain(wp, result.value) : {};
    return { file, errors, doc: isMap(doc) ? doc : {} };
}

export interface ActionInput {
    required: boolean;
    default?: string;
}

/** A recorded action.yml (test/fixtures/actions) and where it was recorded from. */
export interface RecordedAction {
    fixture: string;
    repo: string;
    tag: string;
    commit: string;
    recorded: string;
    inputs: Map<string, ActionInput>;
    errors: string[];
}

/** Reads a recorded action.yml: its header (`# source-repo:`, `# source-tag:`, `# source-commit:`, `# recorded:`) and its inputs, with the parser's action schema. */
export async function parseActionFixture(fixture: string, content: string): Promise<RecordedAction> {
    const [wp, ap] = await loadParser();
    const header = (k: string) => new RegExp(`^# ${k}: (\\S+)$`, "m").exec(content)?.[1] ?? "";
    const result = ap.parseAction({ name: fixture, content }, new wp.NoOperationTraceWriter());
    const errors = result.context.errors.getErrors().map((e) => e.message);
    const inputs = new Map<string, ActionInput>();
    if (result.value) {
        const action = ap.convertActionTemplate(result.context, result.value);
        for (const i of action.inputs ?? [])
            inputs.set(i.id, { required: i.required === true, default: i.default?.toString() });
    }
    for (const k of ["source-repo", "source-tag", "source-commit", "recorded"])
        if (!header(k)) errors.push(`${fixture}: no "# ${k}:" header line`);
    return {
        fixture,
        repo: header("source-repo"),
        tag: header("source-tag"),
        commit: header("source-commit"),
        recorded: header("recorded"),
        inputs,
        errors,
    };
}

// ---------------------------------------------------------------------------------------------
// What is known about the actions beyond their action.yml

export interface ActionRules {
    /** Inputs whose value is one of a fixed list; `source` says where the list was read. */
    choices?: Record<string, { values: string[]; source: string }>;
    /** Inputs read as booleans: `true` or `false` (the spelling every boolean parser accepts). */
    booleans?: string[];
    /** `input` is required once `when` is given. */
    requiredWith?: { input: string; when: string; source: string }[];
}

const PULUMI_CONFIG = "pulumi/actions src/config.ts at the recorded commit (makeConfig)";

/** Per action (owner/repo): the rules its action.yml does not state as data. */
export const ACTION_RULES: Record<string, ActionRules> = {
    "pulumi/actions": {
        choices: {
            // action.yml only says 'Pulumi command to run, eg. up'; the action's source accepts these
            // (getUnionInput('command', { alternatives: [...] })). Without `command` it only installs the CLI.
            command: {
                values: ["up", "update", "refresh", "destroy", "preview", "output"],
                source: PULUMI_CONFIG,
            },
            color: {
                values: ["always", "never", "raw", "auto"],
                source: `action.yml's description and ${PULUMI_CONFIG}`,
            },
        },
        booleans: [
            "comment-on-pr",
            "comment-on-summary",
            "upsert",
            "remove",
            "edit-pr-comment",
            "always-include-summary",
            "expect-no-changes",
            "diff",
            "refresh",
            "exclude-dependents",
            "target-dependents",
            "exclude-protected",
            "suppress-outputs",
            "suppress-progress",
            "continue-on-error",
            "log-flow",
            "debug",
        ],
        // getInput('stack-name', { required: true }) once a command runs.
        requiredWith: [{ input: "stack-name", when: "command", source: PULUMI_CONFIG }],
    },
    "aws-actions/configure-aws-credentials": {},
    "google-github-actions/auth": {
        choices: {
            token_format: {
                values: ["", "access_token", "id_token"],
                source: "action.yml's description of token_format",
            },
        },
        booleans: [
            "create_credentials_file",
            "export_environment_variables",
            "cleanup_credentials",
            "id_token_include_email",
        ],
        requiredWith: [
            {
                input: "service_account",
                when: "workload_identity_provider",
                source: "action.yml's description of service_account",
            },
        ],
    },
    "actions/setup-node": {
        choices: { cache: { values: ["npm", "yarn", "pnpm"], source: "action.yml's description of cache" } },
    },
    "actions/upload-artifact": {
        choices: {
            "if-no-files-found": {
                values: ["warn", "error", "ignore"],
                source: "action.yml's description of if-no-files-found",
            },
        },
    },
    "actions/download-artifact": {
        choices: {
            "digest-mismatch": {
                values: ["ignore", "info", "warn", "error"],
                source: "action.yml's description of digest-mismatch",
            },
        },
    },
};

/** The actions that turn a GitHub OIDC token into cloud credentials. */
export const CLOUD_AUTH_ACTIONS = ["aws-actions/configure-aws-credentials", "google-github-actions/auth"];

/** Inputs that carry long-lived cloud credentials. */
const LONG_LIVED_INPUTS: Record<string, string[]> = {
    "aws-actions/configure-aws-credentials": [
        "aws-access-key-id",
        "aws-secret-access-key",
        "aws-session-token",
    ],
    "google-github-actions/auth": ["credentials_json"],
};

/** Secret and variable names that hold long-lived cloud keys (an access key pair, a service-account JSON key). */
const LONG_LIVED_NAME =
    /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|GOOGLE_CREDENTIALS|GOOGLE_APPLICATION_CREDENTIALS|GCP_CREDENTIALS|GCLOUD_SERVICE_KEY)$|(SA_KEY|SERVICE_ACCOUNT_KEY|SERVICE_ACCOUNT_JSON|CREDENTIALS_JSON|KEY_JSON)$/i;

/** The one concurrency group of every change to a stack, whichever workflow makes it. */
export const upGroup = (stack: string) => `pulumi-up-${stack}`;

/** pulumi/actions commands that change a stack. */
const CHANGING_COMMANDS = ["up", "update", "destroy", "refresh"];

// ---------------------------------------------------------------------------------------------
// The repository's stacks

export interface StackInfo {
    name: string;
    /** `service-deploy:production`, else `service-deploy:environment == "production"` (as the program decides). */
    production: boolean;
    /** Clouds the stack's providers need credentials for: `aws` when it sets `aws:region`, `gcp` when it sets `gcp:project`. */
    clouds: string[];
    awsRegion?: string;
    /** Some service builds its image (docker-build builds at preview too). */
    builds: boolean;
}

export interface Repo {
    root: string;
    stacks: StackInfo[];
    /** Files under policies/config, e.g. `policies/config/staging.json`. */
    policyConfigs: string[];
    /** Scripts of package.json. */
    scripts: string[];
}

export function stackInfo(name: string, fileText: string): StackInfo {
    const config = (YAML.parse(fileText)?.config ?? {}) as Record<string, any>;
    const production =
        config["service-deploy:production"] ?? config["service-deploy:environment"] === "production";
    const clouds = [config["aws:region"] ? "aws" : "", config["gcp:project"] ? "gcp" : ""].filter(Boolean);
    const services: any[] = config["service-deploy:services"] ?? [];
    return {
        name,
        production: production === true,
        clouds,
        awsRegion: config["aws:region"],
        builds: services.some((s) => s?.image?.build !== undefined),
    };
}

export function readRepo(root: string): Repo {
    const stacks = fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort()
        .map((s) => stackInfo(s, fs.readFileSync(path.join(root, `Pulumi.${s}.yaml`), "utf8")));
    const configDir = path.join(root, "policies", "config");
    const policyConfigs = fs.existsSync(configDir)
        ? fs.readdirSync(configDir).map((f) => `policies/config/${f}`)
        : [];
    const scripts = Object.keys(
        JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts ?? {},
    );
    return { root, stacks, policyConfigs, scripts };
}

// ---------------------------------------------------------------------------------------------
// Walking a workflow

export function isMap(v: Plain | undefined): v is PlainMap {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
const str = (v: Plain | undefined): string | undefined =>
    v === undefined || v === null || isMap(v) || Array.isArray(v) ? undefined : String(v);

export interface StepRef {
    job: string;
    index: number;
    step: PlainMap;
    /** `promote.yml job deploy step 7 (pulumi up with the policy pack)` */
    where: string;
    /** owner/repo of `uses`, when it is a repository action. */
    action?: string;
    ref?: string;
    with: PlainMap;
}

export function jobsOf(wf: Workflow): [string, PlainMap][] {
    const jobs = wf.doc.jobs;
    return isMap(jobs) ? Object.entries(jobs).filter((e): e is [string, PlainMap] => isMap(e[1])) : [];
}

export function stepsOf(wf: Workflow, jobId?: string): StepRef[] {
    const out: StepRef[] = [];
    for (const [job, body] of jobsOf(wf)) {
        if (jobId !== undefined && job !== jobId) continue;
        const steps = Array.isArray(body.steps) ? body.steps : [];
        steps.forEach((step, index) => {
            if (!isMap(step)) return;
            const name = str(step.name);
            const uses = str(step.uses);
            const m = uses ? /^([^./@][^/@]*\/[^/@]+)(?:\/[^@]*)?@(.+)$/.exec(uses) : null;
            out.push({
                job,
                index,
                step,
                where: `${wf.file} job ${job} step ${index + 1}${name ? ` (${name})` : uses ? ` (${uses.split("@")[0]})` : ""}`,
                action: m?.[1],
                ref: m?.[2],
                with: isMap(step.with) ? step.with : {},
            });
        });
    }
    return out;
}

/** Every combination of the job's matrix, with GitHub's include/exclude rules; undefined when the matrix is an expression. */
export function matrixCombinations(job: PlainMap): Record<string, string>[] | undefined {
    const strategy = job.strategy;
    if (strategy === undefined) return [{}];
    if (!isMap(strategy)) return undefined;
    const matrix = strategy.matrix;
    if (matrix === undefined) return [{}];
    if (!isMap(matrix)) return undefined;
    const flat = (m: Plain): Record<string, string> | undefined => {
        if (!isMap(m)) return undefined;
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(m)) {
            const s = str(v);
            if (s === undefined) return undefined;
            out[k] = s;
        }
        return out;
    };
    const baseKeys = Object.keys(matrix).filter((k) => k !== "include" && k !== "exclude");
    let combos: Record<string, string>[] = [{}];
    for (const k of baseKeys) {
        const values = matrix[k];
        if (!Array.isArray(values)) return undefined;
        combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: str(v) ?? "" })));
    }
    const listOf = (k: string) =>
        matrix[k] === undefined
            ? []
            : Array.isArray(matrix[k])
              ? (matrix[k] as Plain[]).map(flat)
              : [undefined];
    const excludes = listOf("exclude");
    const includes = listOf("include");
    if (excludes.includes(undefined) || includes.includes(undefined)) return undefined;
    combos = combos.filter((c) => !excludes.some((e) => Object.entries(e!).every(([k, v]) => c[k] === v)));
    if (baseKeys.length === 0) return includes.length > 0 ? includes.map((i) => ({ ...i! })) : [{}];
    for (const inc of includes) {
        const fits = combos.filter((c) => baseKeys.every((k) => !(k in inc!) || inc![k] === c[k]));
        if (fits.length > 0) for (const c of fits) Object.assign(c, inc);
        else combos.push({ ...inc! });
    }
    return combos;
}

/** The values `${{ ... }}` can take in a job: each matrix combination times each choice of each workflow_dispatch input. */
export function jobBindings(wf: Workflow, job: PlainMap): Record<string, string>[] | undefined {
    const combos = matrixCombinations(job);
    if (!combos) return undefined;
    let bindings = combos.map((c) =>
        Object.fromEntries(Object.entries(c).map(([k, v]) => [`matrix.${k}`, v])),
    );
    const on = wf.doc.on;
    const dispatch = isMap(on) && isMap(on.workflow_dispatch) ? on.workflow_dispatch : undefined;
    const inputs = dispatch && isMap(dispatch.inputs) ? dispatch.inputs : {};
    for (const [name, def] of Object.entries(inputs)) {
        if (!isMap(def) || def.type !== "choice" || !Array.isArray(def.options)) continue;
        const options = def.options.map((o) => str(o) ?? "");
        bindings = bindings.flatMap((b) =>
            options.map((o) => ({ ...b, [`inputs.${name}`]: o, [`github.event.inputs.${name}`]: o })),
        );
    }
    return bindings;
}

/** `value` with every `${{ expr }}` replaced from `binding`; undefined when one is not there. */
export function resolve(value: string, binding: Record<string, string>): string | undefined {
    let unresolved = false;
    const out = value.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
        if (expr in binding) return binding[expr];
        unresolved = true;
        return "";
    });
    return unresolved ? undefined : out;
}

function environmentName(job: PlainMap): string | undefined {
    const env = job.environment;
    return isMap(env) ? str(env.name) : str(env);
}

function hasIdTokenWrite(perms: Plain | undefined): boolean {
    return perms === "write-all" || (isMap(perms) && perms["id-token"] === "write");
}

/** Every place (`path`, value) in the document, depth first. */
function* walk(v: Plain, at: (string | number)[] = []): Generator<[(string | number)[], Plain]> {
    yield [at, v];
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* walk(v[i], [...at, i]);
    else if (isMap(v)) for (const [k, x] of Object.entries(v)) yield* walk(x, [...at, k]);
}

function whereIs(wf: Workflow, at: (string | number)[]): string {
    if (at[0] !== "jobs" || at.length < 2) return `${wf.file} (workflow level)`;
    if (at[2] === "steps" && typeof at[3] === "number") {
        const s = stepsOf(wf, String(at[1])).find((x) => x.index === at[3]);
        if (s) return s.where;
    }
    return `${wf.file} job ${at[1]}`;
}

function closest(word: string, candidates: string[]): string | undefined {
    const distance = (a: string, b: string) => {
        const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
        for (let j = 1; j <= b.length; j++) d[0][j] = j;
        for (let i = 1; i <= a.length; i++)
            for (let j = 1; j <= b.length; j++) {
                d[i][j] = Math.min(
                    d[i - 1][j] + 1,
                    d[i][j - 1] + 1,
                    d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
                );
            }
        return d[a.length][b.length];
    };
    const best = candidates.map((c) => [c, distance(word, c)] as const).sort((x, y) => x[1] - y[1])[0];
    return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? best[0] : undefined;
}

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
