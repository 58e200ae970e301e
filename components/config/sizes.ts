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

/** Memory sizes (MiB) Fargate accepts for a vCPU count. */
export function fargateMemoryOptions(vcpu: number): number[] {
    const range = (from: number, to: number, step: number) =>
        Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
    switch (vcpu) {
        case 0.25:
            return [512, 1024, 2048];
        case 0.5:
            return range(1024, 4096, 1024);
        case 1:
            return range(2048, 8192, 1024);
        case 2:
            return range(4096, 16384, 1024);
        case 4:
            return range(8192, 30720, 1024);
        case 8:
            return range(16384, 61440, 4096);
        case 16:
            return range(32768, 122880, 8192);
        default:
            return [];
    }
}

/** Why a vCPU/memory pair is not a Fargate size, or undefined when it is. Pure. */
export function fargateSizeProblem(vcpu: number, memoryMiB: number): string | undefined {
    const allowed = fargateMemoryOptions(vcpu);
    if (allowed.length === 0) return `${vcpu} vCPU is not a Fargate size; choose 0.25, 0.5, 1, 2, 4, 8 or 16`;
    if (allowed.includes(memoryMiB)) return undefined;
    return `${memoryMiB} MiB is not a Fargate size for ${vcpu} vCPU; choose one of ${allowed[0]}-${allowed[allowed.length - 1]} (${allowed.join(", ")})`;
}
