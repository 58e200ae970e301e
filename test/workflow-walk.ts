/**
 * The repository's stacks (read from their stack files) and the walk over a parsed workflow: its
 * jobs, steps, matrix combinations and the values `${{ ... }}` takes in a job.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { isMap, type Plain, type PlainMap, type Workflow } from "./workflow-parse";

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

export const str = (v: Plain | undefined): string | undefined =>
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

export function environmentName(job: PlainMap): string | undefined {
    const env = job.environment;
    return isMap(env) ? str(env.name) : str(env);
}

export function hasIdTokenWrite(perms: Plain | undefined): boolean {
    return perms === "write-all" || (isMap(perms) && perms["id-token"] === "write");
}

/** Every place (`path`, value) in the document, depth first. */
export function* walk(v: Plain, at: (string | number)[] = []): Generator<[(string | number)[], Plain]> {
    yield [at, v];
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* walk(v[i], [...at, i]);
    else if (isMap(v)) for (const [k, x] of Object.entries(v)) yield* walk(x, [...at, k]);
}

export function whereIs(wf: Workflow, at: (string | number)[]): string {
    if (at[0] !== "jobs" || at.length < 2) return `${wf.file} (workflow level)`;
    if (at[2] === "steps" && typeof at[3] === "number") {
        const s = stepsOf(wf, String(at[1])).find((x) => x.index === at[3]);
        if (s) return s.where;
    }
    return `${wf.file} job ${at[1]}`;
}

export function closest(word: string, candidates: string[]): string | undefined {
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
