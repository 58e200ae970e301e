/** Sizes per environment and target, and the sizes Fargate and Cloud Run accept. Pure. */
import type { Architecture, Target } from "./common";

export interface Sizing {
    vcpu: number;
    memoryMiB: number;
    desiredCount: number;
}

/**
 * Default sizes. Fargate: staging 1 task x 0.5 vCPU / 1 GB, production 3 tasks x 1 vCPU / 2 GB.
 * Cloud Run scales by instances (desiredCount unused): 1 vCPU (below 1 needs concurrency 1) with
 * 512 MiB in staging, 1 GiB in production.
 */
export function defaultSizing(production: boolean, target: Target = "aws"): Sizing {
    // On the VM: production 1 GB / 1 CPU, staging 512 MB / 0.5 CPU.
    if (target === "vm")
        return production
            ? { vcpu: 1, memoryMiB: 1024, desiredCount: 1 }
            : { vcpu: 0.5, memoryMiB: 512, desiredCount: 1 };
    if (target === "gcp")
        return production
            ? { vcpu: 1, memoryMiB: 1024, desiredCount: 1 }
            : { vcpu: 1, memoryMiB: 512, desiredCount: 1 };
    return production
        ? { vcpu: 1, memoryMiB: 2048, desiredCount: 3 }
        : { vcpu: 0.5, memoryMiB: 1024, desiredCount: 1 };
}

/** Default architecture per target: Graviton on AWS; Cloud Run runs amd64 only. Pure. */
export function defaultArchitecture(target: Target): Architecture {
    return target === "gcp" ? "amd64" : "arm64";
}

/** Why a vCPU/memory/concurrency triple is not a Cloud Run size, or undefined. Pure. */
export function cloudRunSizeProblem(
    vcpu: number,
    memoryMiB: number,
    concurrency: number,
): string | undefined {
    if (![0.25, 0.5, 1, 2, 4, 6, 8].includes(vcpu))
        return `${vcpu} vCPU is not a Cloud Run size; choose 0.25, 0.5, 1, 2, 4, 6 or 8`;
    if (vcpu < 1 && concurrency > 1)
        return `below 1 vCPU Cloud Run serves one request at a time; set cloudRun.concurrency to 1 or vcpu to 1`;
    const min = vcpu >= 6 ? 4096 : vcpu >= 4 ? 2048 : 128;
    const max = vcpu <= 1 ? 4096 : vcpu <= 2 ? 8192 : vcpu <= 4 ? 16384 : 32768;
    if (memoryMiB < min || memoryMiB > max)
        return `${memoryMiB} MiB is not a Cloud Run size for ${vcpu} vCPU; choose ${min}-${max} MiB`;
    return undefined;
}

/**
 * Fargate's task sizes: per vCPU count, the memory range (MiB) and its step. 0.25 vCPU takes
 * 512, 1024 or 2048, which is no single step, so it is listed (AWS's "Task size" table).
 */
const FARGATE_MEMORY: Record<number, number[] | { from: number; to: number; step: number }> = {
    0.25: [512, 1024, 2048],
    0.5: { from: 1024, to: 4096, step: 1024 },
    1: { from: 2048, to: 8192, step: 1024 },
    2: { from: 4096, to: 16384, step: 1024 },
    4: { from: 8192, to: 30720, step: 1024 },
    8: { from: 16384, to: 61440, step: 4096 },
    16: { from: 32768, to: 122880, step: 8192 },
};

/** Memory sizes (MiB) Fargate accepts for a vCPU count. */
export function fargateMemoryOptions(vcpu: number): number[] {
    const sizes = FARGATE_MEMORY[vcpu];
    if (sizes === undefined) return [];
    if (Array.isArray(sizes)) return sizes;
    return Array.from(
        { length: (sizes.to - sizes.from) / sizes.step + 1 },
        (_, i) => sizes.from + i * sizes.step,
    );
}

/** Why a vCPU/memory pair is not a Fargate size, or undefined when it is. Pure. */
export function fargateSizeProblem(vcpu: number, memoryMiB: number): string | undefined {
    const allowed = fargateMemoryOptions(vcpu);
    if (allowed.length === 0) return `${vcpu} vCPU is not a Fargate size; choose 0.25, 0.5, 1, 2, 4, 8 or 16`;
    if (allowed.includes(memoryMiB)) return undefined;
    return `${memoryMiB} MiB is not a Fargate size for ${vcpu} vCPU; choose one of ${allowed[0]}-${allowed[allowed.length - 1]} (${allowed.join(", ")})`;
}
