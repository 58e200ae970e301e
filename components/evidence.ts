/**
 * Health evidence each target exports per service as `services.<name>.deployed`: which digest the
 * target reports running after the last `pulumi up`, and whether that up proved it healthy.
 * Promotion (scripts/promote.ts) reads it from the staging stack's outputs and refuses to promote
 * what staging is not running, or is not running healthily. Pure functions over provider outputs;
 * the targets call them inside `apply`.
 */

import { DIGEST_REF } from "./config";

export interface Deployed {
    /** `sha256:<hex>` the target reports running, or "" when it cannot tell. */
    digest: string;
    /** Whether the last `pulumi up` proved this digest healthy on the target. */
    healthy: boolean;
    /** One line a reviewer can check: what was observed. */
    evidence: string;
}

/** The digest of a `<repo>@sha256:<hex>` reference (the stack schema's DIGEST_REF), or "". Pure. */
export function digestOf(ref: string | undefined): string {
    return DIGEST_REF.exec(ref ?? "")?.groups?.digest ?? "";
}

/**
 * ECS. With `waitForSteadyState`, the provider waits for the deployment itself, not only for a
 * stable task count: since terraform-provider-aws#43434 (in the provider pulumi-aws 7.x bridges)
 * it follows the service deployment (ecs:ListServiceDeployments / DescribeServiceDeployments)
 * through the lifecycle hooks and the bake and fails `pulumi up` when ECS rolls it back (circuit
 * breaker, rollback alarm, or a hook answering FAILED). Before that change a rolled-back
 * deployment ended stable and the up reported success (pulumi-aws#4487, terraform-provider-aws
 * #20858). The digest check stays as a second, independent proof: the provider reads the service
 * back after the wait, so the service's `taskDefinition` output is the one ECS settled on; equal
 * to the task definition this up registered means the new one ran healthy, anything else means
 * it was rolled back (an up that did not wait, or a provider before that change). Pure.
 */
export function ecsDeployed(a: {
    waitForSteadyState: boolean;
    serviceTaskDefinition: string;
    registeredTaskDefinition: string;
    containerDefinitions: string;
    container: string;
}): Deployed {
    if (!a.waitForSteadyState) {
        return {
            digest: "",
            healthy: false,
            evidence:
                "aws.waitForSteadyState is false: pulumi up did not wait for ECS, so it proves nothing about health",
        };
    }
    if (a.serviceTaskDefinition !== a.registeredTaskDefinition) {
        return {
            digest: "",
            healthy: false,
            evidence: `ECS settled on ${a.serviceTaskDefinition}, not ${a.registeredTaskDefinition} registered by the last up: the deployment was rolled back`,
        };
    }
    let image: string | undefined;
    try {
        image = (JSON.parse(a.containerDefinitions) as { name: string; image: string }[]).find(
            (c) => c.name === a.container,
        )?.image;
    } catch {
        image = undefined;
    }
    const digest = digestOf(image);
    if (!digest)
        return {
            digest: "",
            healthy: false,
            evidence: `the task definition's ${a.container} container has no digest-pinned image (${image ?? "none"})`,
        };
    return { digest, healthy: true, evidence: `ECS reached steady state on ${a.serviceTaskDefinition}` };
}

/**
 * A Cloud Run revision's short name from its full resource name (`projects/p/locations/r/services/s/revisions/x`,
 * as the Admin API v2 gives `latestReadyRevision`), or the short name itself. Pure.
 */
export function revisionId(name: string): string {
    return name.split("/").pop() ?? "";
}

export interface CloudRunCondition {
    type?: string;
    state?: string;
    message?: string;
}
export interface CloudRunTraffic {
    revision?: string;
    percent?: number;
}

/**
 * Cloud Run. The provider waits for the service's Ready condition; `latestReadyRevision` names the
 * newest revision that passed its startup probe (a full resource name, or a bare name in mocks),
 * and the traffic statuses say which revision serves. Healthy: Ready succeeded, the revision this
 * up created is the latest ready one and holds the most traffic. Pure.
 */
export function cloudRunDeployed(a: {
    image: string;
    revision: string;
    latestReadyRevision: string;
    terminalConditions: CloudRunCondition[];
    trafficStatuses: CloudRunTraffic[];
}): Deployed {
    const digest = digestOf(a.image);
    const ready = a.terminalConditions.find((c) => c.type === "Ready");
    if (ready?.state !== "CONDITION_SUCCEEDED") {
        return {
            digest,
            healthy: false,
            evidence: `the service's Ready condition is ${ready?.state ?? "missing"}${ready?.message ? ` (${ready.message})` : ""}`,
        };
    }
    const latest = revisionId(a.latestReadyRevision);
    if (latest !== a.revision)
        return {
            digest,
            healthy: false,
            evidence: `the latest ready revision is ${latest || "none"}, not ${a.revision}: the new revision never became ready`,
        };
    const top = [...a.trafficStatuses].sort((x, y) => (y.percent ?? 0) - (x.percent ?? 0))[0];
    if (top?.revision !== a.revision)
        return {
            digest,
            healthy: false,
            evidence: `revision ${top?.revision ?? "none"} holds most traffic (${top?.percent ?? 0}%), not ${a.revision}`,
        };
    if (!digest)
        return { digest, healthy: false, evidence: `the revision's image is not digest-pinned (${a.image})` };
    return {
        digest,
        healthy: true,
        evidence: `revision ${a.revision} is ready and serves ${top.percent}% of traffic`,
    };
}

/**
 * The VM: deploy.sh prints `ACTIVE ... digest=...` only after the new color passed readiness and
 * nginx serves it (or, on a re-run, after checking the active one is ready). Healthy: every host
 * reports the digest. Pure.
 */
export function vmDeployed(a: {
    digest: string;
    hosts: { host: string; active?: { color: string; digest: string } }[];
}): Deployed {
    const off = a.hosts.filter((h) => h.active?.digest !== a.digest);
    if (off.length > 0) {
        return {
            digest: "",
            healthy: false,
            evidence: `host${off.length > 1 ? "s" : ""} ${off.map((h) => `${h.host} (${h.active ? `serves ${h.active.digest}` : "no ACTIVE line"})`).join(", ")} did not report ${a.digest}`,
        };
    }
    return {
        digest: a.digest,
        healthy: true,
        evidence: `ready and served by nginx on ${a.hosts.map((h) => `${h.host} (${h.active!.color})`).join(", ")}`,
    };
}
