/** One service with its per-environment defaults resolved, and its per-target rules checked. */
import { cite } from "../failures";
import { platformOf, PROJECT } from "./common";
import { type ConfigProblem, keyOf } from "./errors";
import { cloudRunEnvProblems, cloudRunProblems, cloudRunTagLengthProblem } from "./gcp";
import type { CloudRunConfig, NormalizedService, RawStackConfig } from "./schema";
import { cloudRunSchema, type ServiceConfig } from "./services";
import {
    cloudRunSizeProblem,
    defaultArchitecture,
    defaultSizing,
    fargateMemoryOptions,
    fargateSizeProblem,
} from "./sizes";

export function stripUndefined<T extends object>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function normalizeService(
    s: ServiceConfig,
    i: number,
    production: boolean,
    raw: Partial<RawStackConfig>,
    problems: ConfigProblem[],
): NormalizedService {
    const base = ["services", i] as const;
    const d = defaultSizing(production, s.target);
    const vcpu = s.vcpu ?? d.vcpu;
    const memoryMiB =
        s.memoryMiB ??
        (s.vcpu === undefined || s.target === "gcp" ? d.memoryMiB : fargateMemoryOptions(vcpu)[0]);
    const architecture = s.architecture ?? defaultArchitecture(s.target);
    let cloudRun: CloudRunConfig | undefined;
    if (s.target === "vm") {
        if ("build" in s.image)
            problems.push({
                key: keyOf([...base, "image", "build"]),
                message:
                    "the vm target runs prebuilt images: build and push in CI (--platform linux/amd64,linux/arm64) and set image.ref to the digest",
            });
        if (s.cloudRun)
            problems.push({
                key: keyOf([...base, "cloudRun"]),
                message: `service "${s.name}" targets vm; cloudRun settings apply to target gcp only`,
            });
    } else if (s.target === "aws") {
        const sizeProblem = fargateSizeProblem(vcpu, memoryMiB);
        if (sizeProblem)
            problems.push({ key: keyOf([...base, "memoryMiB"]), message: cite("SD-025", sizeProblem) });
        if (s.cloudRun)
            problems.push({
                key: keyOf([...base, "cloudRun"]),
                message: `service "${s.name}" targets aws; cloudRun settings apply to target gcp only`,
            });
    } else {
        const cr = s.cloudRun ?? cloudRunSchema.parse({});
        cloudRun = { ...cr, minInstances: cr.minInstances ?? (production ? 1 : 0) };
        const sizeProblem = cloudRunSizeProblem(vcpu, memoryMiB, cloudRun.concurrency);
        if (sizeProblem)
            problems.push({
                key: keyOf([...base, s.vcpu !== undefined && vcpu < 1 ? "vcpu" : "memoryMiB"]),
                message: cite("SD-025", sizeProblem),
            });
        if (architecture !== "amd64")
            problems.push({
                key: keyOf([...base, "architecture"]),
                message: cite(
                    "SD-002",
                    `Cloud Run runs linux/amd64 only; an arm64 image fails there with "exec format error": remove architecture or set it to amd64`,
                ),
            });
        for (const problem of cloudRunProblems(cloudRun, production))
            problems.push({ key: keyOf([...base, "cloudRun", ...problem.path]), message: problem.message });
        for (const problem of cloudRunEnvProblems(s.env))
            problems.push({ key: keyOf([...base, "env", problem.name]), message: problem.message });
        const tagProblem = cloudRunTagLengthProblem(s.name);
        if (tagProblem) problems.push({ key: keyOf([...base, "name"]), message: tagProblem });
    }
    if ("build" in s.image && !s.image.build.platforms.includes(platformOf(architecture) as never)) {
        problems.push({
            key: keyOf([...base, "image", "build", "platforms"]),
            message: cite(
                "SD-001",
                `service "${s.name}" runs on ${platformOf(architecture)} but the build only produces ${s.image.build.platforms.join(", ")}; add ${platformOf(architecture)}`,
            ),
        });
    }
    for (const [name, entry] of Object.entries(s.env)) {
        if ("secret" in entry && raw.secrets && !(entry.secret in raw.secrets)) {
            problems.push({
                key: keyOf([...base, "env", name, "secret"]),
                message: cite(
                    "SD-010",
                    `refers to secret "${entry.secret}", which is not declared under ${PROJECT}:secrets (declared: ${Object.keys(raw.secrets).join(", ") || "none"})`,
                ),
            });
        }
        if ("from" in entry && entry.from.startsWith("database.") && raw.database === undefined) {
            problems.push({
                key: keyOf([...base, "env", name, "from"]),
                message: cite("SD-006", `reads ${entry.from} but the stack declares no ${PROJECT}:database`),
            });
        }
    }
    const { cloudRun: _raw, ...rest } = s;
    return {
        ...rest,
        architecture,
        vcpu,
        memoryMiB,
        desiredCount: s.desiredCount ?? d.desiredCount,
        ...(cloudRun ? { cloudRun } : {}),
    };
}
