/**
 * Every policy over every committed stack's real graph: the graph passes as the program writes it,
 * and one field changed per policy (the change that policy exists to catch) yields that policy's
 * violation, on AWS, GCP and the VM. A matcher that misses what the program really writes fails here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PolicyPackConfig } from "@pulumi/policy";
import { policies } from "../../policies/policies";
import { evaluatePack, type GraphResource } from "../../scripts/policy-engine";
import { knownStacks } from "../../scripts/plan-process";
import { realGraph, realPolicyConfig, withProps } from "../../scripts/policy-fixtures";

type Target = "aws" | "gcp" | "vm";
const targetOf = (g: GraphResource[]): Target =>
    g.some((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")
        ? "aws"
        : g.some((r) => r.type === "gcp:cloudrunv2/service:Service")
          ? "gcp"
          : "vm";

interface Mutation {
    policy: string;
    /** Targets on which every committed stack must offer the field to change. */
    required: Target[];
    /** Change one field; false when this stack has no such resource. */
    apply(g: GraphResource[], config: PolicyPackConfig): boolean;
}

/** Replace the first resource of `type` (and name test) with a changed copy. */
function change(
    g: GraphResource[],
    type: string,
    edit: (props: Record<string, any>) => Record<string, any>,
    name: (n: string) => boolean = () => true,
): boolean {
    const i = g.findIndex((r) => r.type === type && name(r.name));
    if (i < 0) return false;
    g[i] = withProps(g[i], edit(structuredClone(g[i].props)));
    return true;
}
const ECS = "aws:ecs/taskDefinition:TaskDefinition";
const RUN = "gcp:cloudrunv2/service:Service";
const CMD = "command:remote:Command";
const isDeploy = (n: string) => n.endsWith("-deploy");
const container = (edit: (c: any) => void) => (p: Record<string, any>) => {
    const defs = JSON.parse(p.containerDefinitions);
    edit(defs[0]);
    return { containerDefinitions: JSON.stringify(defs) };
};
const runContainer = (edit: (c: any) => void) => (p: Record<string, any>) => {
    edit(p.template.containers[0]);
    return { template: p.template };
};
const vmCreate = (from: RegExp, to: string) => (p: Record<string, any>) => {
    assert.match(p.create, from);
    return { create: p.create.replace(from, to) };
};
/** Apply the first edit that finds its resource. */
const any =
    (...edits: ((g: GraphResource[]) => boolean)[]) =>
    (g: GraphResource[]) =>
        edits.some((e) => e(g));

const MUTATIONS: Mutation[] = [
    {
        policy: "image-multi-arch",
        required: [],
        apply: (g) => change(g, "docker-build:index:Image", () => ({ platforms: ["linux/amd64"] })),
    },
    {
        policy: "image-digest-pinned",
        required: ["aws", "gcp", "vm"],
        apply: any(
            (g) =>
                change(
                    g,
                    ECS,
                    container((c) => (c.image = c.image.replace(/@sha256:.*/, ":latest"))),
                ),
            (g) =>
                change(
                    g,
                    RUN,
                    runContainer((c) => (c.image = c.image.replace(/@sha256:.*/, ":latest"))),
                ),
            (g) => change(g, CMD, vmCreate(/@sha256:[0-9a-f]{64}/, ":latest"), isDeploy),
        ),
    },
    {
        policy: "image-platform-matches-target",
        required: ["aws", "gcp", "vm"],
        apply: any(
            (g) =>
                change(g, ECS, (p) => ({
                    tags: { ...p.tags, "service-deploy:image-platforms": "linux/amd64" },
                })),
            (g) => change(g, RUN, (p) => ({ labels: { ...p.labels, "image-platforms": "linux-arm64" } })),
            (g) =>
                change(
                    g,
                    CMD,
                    vmCreate(/--image-platforms='[^']*'/, "--image-platforms='linux/amd64'"),
                    isDeploy,
                ),
        ),
    },
    {
        policy: "production-builds-nothing",
        required: [],
        apply: (g, config) => {
            if (!g.some((r) => r.type === "docker-build:index:Image")) return false;
            config["production-builds-nothing"] = { production: true };
            return true;
        },
    },
    {
        policy: "env-contract-complete",
        required: ["aws", "gcp", "vm"],
        apply: any(
            (g) =>
                change(
                    g,
                    ECS,
                    container((c) => (c.secrets = c.secrets.filter((s: any) => s.name !== "DATABASE_URL"))),
                ),
            (g) =>
                change(
                    g,
                    RUN,
                    runContainer((c) => (c.envs = c.envs.filter((e: any) => e.name !== "DATABASE_URL"))),
                ),
            (g) => change(g, CMD, vmCreate(/ --env-secret=DATABASE_URL\b/, ""), isDeploy),
        ),
    },
    {
        policy: "no-plaintext-secrets",
        required: ["aws", "gcp", "vm"],
        apply: any(
            (g) =>
                change(
                    g,
                    ECS,
                    container((c) => {
                        c.secrets = c.secrets.filter((s: any) => s.name !== "DATABASE_URL");
                        c.environment.push({ name: "DATABASE_URL", value: "postgresql://db.internal/app" });
                    }),
                ),
            (g) =>
                change(
                    g,
                    RUN,
                    runContainer((c) => {
                        const e = c.envs.find((x: any) => x.name === "DATABASE_URL");
                        delete e.valueSource;
                        e.value = "postgresql://db.internal/app";
                    }),
                ),
            (g) =>
                change(g, CMD, vmCreate(/--env-secret=DATABASE_URL\b/, "--env-plain=DATABASE_URL"), isDeploy),
        ),
    },
    {
        policy: "secret-version-pinned",
        required: ["gcp"],
        apply: (g) =>
            change(
                g,
                RUN,
                runContainer((c) => {
                    c.envs.find((e: any) => e.valueSource?.secretKeyRef).valueSource.secretKeyRef.version =
                        "latest";
                }),
            ),
    },
    {
        policy: "production-database",
        required: [],
        apply: (g, config) =>
            (config["production-database"] as { production?: boolean })?.production === true &&
            (change(g, "aws:rds/instance:Instance", () => ({ multiAz: false })) ||
                change(g, "gcp:sql/databaseInstance:DatabaseInstance", (p) => ({
                    settings: { ...p.settings, availabilityType: "ZONAL" },
                }))),
    },
    {
        policy: "edge-security",
        required: ["aws"],
        apply: (g) =>
            change(
                g,
                "aws:lb/listener:Listener",
                () => ({ sslPolicy: "ELBSecurityPolicy-2016-08" }),
                (n) => g.find((r) => r.name === n)?.props.protocol === "HTTPS",
            ),
    },
    {
        policy: "health-checks-consistent",
        required: ["aws", "gcp", "vm"],
        apply: any(
            (g) =>
                change(
                    g,
                    "aws:lb/targetGroup:TargetGroup",
                    (p) => ({ healthCheck: { ...p.healthCheck, path: "/" } }),
                    (n) => g.find((r) => r.name === n)?.props.targetType !== "lambda",
                ),
            (g) =>
                change(
                    g,
                    RUN,
                    runContainer((c) => (c.startupProbe.httpGet.path = "/")),
                ),
            (g) => change(g, CMD, vmCreate(/--readiness-path='[^']*'/, "--readiness-path='/'"), isDeploy),
        ),
    },
    {
        policy: "service-has-alarms",
        required: ["aws", "gcp", "vm"],
        apply: any(
            // The VM service's error-rate alarm is found only through its service stamp.
            (g) =>
                g.some((r) => r.type === CMD && isDeploy(r.name)) &&
                change(
                    g,
                    "aws:cloudwatch/metricAlarm:MetricAlarm",
                    (p) => ({ tags: { ...p.tags, "service-deploy:service": "another-service" } }),
                    (n) => g.find((r) => r.name === n)?.props.tags?.["service-deploy:alarm"] === "error-rate",
                ),
            // The Oracle host's alarms are OCI Monitoring alarms, stamped by free-form tags.
            (g) =>
                change(
                    g,
                    "oci:Monitoring/alarm:Alarm",
                    (p) => ({
                        freeformTags: { ...p.freeformTags, "service-deploy-service": "another-service" },
                    }),
                    (n) =>
                        g.find((r) => r.name === n)?.props.freeformTags?.["service-deploy-alarm"] ===
                        "error-rate",
                ),
            (g) => change(g, "aws:cloudwatch/metricAlarm:MetricAlarm", () => ({ alarmActions: [] })),
            (g) => change(g, "gcp:monitoring/alertPolicy:AlertPolicy", () => ({ notificationChannels: [] })),
        ),
    },
];

test("the mutations cover every policy in the pack", () => {
    assert.deepEqual(MUTATIONS.map((m) => m.policy).sort(), policies.map((p) => p.name).sort());
});

test("the committed stacks cover AWS, GCP and the VM target, the Oracle-provisioned VM among them", () => {
    const byTarget = new Map<Target, string[]>();
    for (const stack of knownStacks()) {
        const t = targetOf(realGraph(stack));
        byTarget.set(t, [...(byTarget.get(t) ?? []), stack]);
    }
    assert.deepEqual([...byTarget.keys()].sort(), ["aws", "gcp", "vm"]);
    // The Oracle stack provisions its host (oci: resources) and deploys onto it like any VM.
    const oci = knownStacks().filter((s) => realGraph(s).some((r) => r.type.startsWith("oci:")));
    assert.ok(oci.length > 0, "no committed stack provisions an Oracle host");
    for (const s of oci) assert.ok(byTarget.get("vm")!.includes(s), `${s} is not held as a VM stack`);
});

for (const stack of knownStacks()) {
    test(`${stack}: the real graph passes every policy`, async () => {
        const e = await evaluatePack(policies, realGraph(stack), { config: realPolicyConfig(stack) });
        assert.deepEqual(
            e.violations.map((v) => `${v.policy}: ${v.message}`),
            [],
        );
    });
    for (const m of MUTATIONS) {
        test(`${stack}: ${m.policy} reports the one field it guards, changed in the real graph`, async (t) => {
            const g = realGraph(stack);
            const config = realPolicyConfig(stack);
            const target = targetOf(g);
            if (!m.apply(g, config)) {
                assert.ok(
                    !m.required.includes(target),
                    `${stack} (${target}) offers no field for ${m.policy}`,
                );
                t.skip(`no resource for ${m.policy} in ${stack}`);
                return;
            }
            const e = await evaluatePack(policies, g, { config });
            assert.deepEqual(
                [...new Set(e.violations.map((v) => v.policy))],
                [m.policy],
                e.violations.map((v) => `${v.policy}: ${v.message}`).join("\n"),
            );
        });
    }
}
