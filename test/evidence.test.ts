/** Health evidence per target (components/evidence.ts): what promotion trusts, table by table. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cloudRunDeployed, digestOf, ecsDeployed, vmDeployed } from "../components/evidence";
import { planCli } from "./mocks";

const D1 = `sha256:${"1".repeat(64)}`,
    D2 = `sha256:${"2".repeat(64)}`;
const TD = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:7";
const defs = (image: string) => JSON.stringify([{ name: "api", image }]);

test("digestOf: only a <repo>@sha256:<64 hex> reference has one", () => {
    for (const [ref, want] of [
        [`r/api@${D1}`, D1],
        ["r/api:latest", ""],
        ["r/api@sha256:abc", ""],
        [undefined, ""],
    ] as const)
        assert.equal(digestOf(ref), want, String(ref));
});

test("ECS: healthy only when the service settled on the task definition this up registered", () => {
    const ok = {
        waitForSteadyState: true,
        serviceTaskDefinition: TD,
        registeredTaskDefinition: TD,
        containerDefinitions: defs(`r/api@${D1}`),
        container: "api",
    };
    const table: [string, Partial<typeof ok>, { digest: string; healthy: boolean; evidence: RegExp }][] = [
        ["steady on ours", {}, { digest: D1, healthy: true, evidence: /steady state on .*api:7/ }],
        [
            "rolled back (circuit breaker or alarm)",
            { serviceTaskDefinition: TD.replace(":7", ":6") },
            { digest: "", healthy: false, evidence: /settled on .*api:6, not .*api:7 .*rolled back/ },
        ],
        [
            "did not wait",
            { waitForSteadyState: false },
            { digest: "", healthy: false, evidence: /waitForSteadyState is false/ },
        ],
        [
            "a tag, not a digest",
            { containerDefinitions: defs("r/api:latest") },
            { digest: "", healthy: false, evidence: /no digest-pinned image \(r\/api:latest\)/ },
        ],
        [
            "another container name",
            { container: "web" },
            { digest: "", healthy: false, evidence: /web container has no digest-pinned image \(none\)/ },
        ],
    ];
    for (const [name, change, want] of table) {
        const got = ecsDeployed({ ...ok, ...change });
        assert.equal(got.digest, want.digest, name);
        assert.equal(got.healthy, want.healthy, name);
        assert.match(got.evidence, want.evidence, name);
    }
});

test("Cloud Run: Ready, our revision the latest ready one, and holding the most traffic", () => {
    const ok = {
        image: `r/api@${D1}`,
        revision: "api-111111111111-abcdef",
        latestReadyRevision: "projects/p/locations/l/services/api/revisions/api-111111111111-abcdef",
        terminalConditions: [{ type: "Ready", state: "CONDITION_SUCCEEDED" }],
        trafficStatuses: [{ revision: "api-111111111111-abcdef", percent: 100 }],
    };
    const table: [string, Partial<typeof ok>, boolean, RegExp][] = [
        ["ready and serving", {}, true, /ready and serves 100% of traffic/],
        [
            "Ready failed",
            {
                terminalConditions: [
                    { type: "Ready", state: "CONDITION_FAILED", message: "probe failed" } as any,
                ],
            },
            false,
            /Ready condition is CONDITION_FAILED \(probe failed\)/,
        ],
        [
            "new revision never ready",
            { latestReadyRevision: "projects/p/locations/l/services/api/revisions/api-000000000000-abcdef" },
            false,
            /latest ready revision is api-000000000000-abcdef, not api-111111111111-abcdef/,
        ],
        [
            "traffic still on the previous one",
            {
                trafficStatuses: [
                    { revision: "api-000000000000-abcdef", percent: 90 },
                    { revision: "api-111111111111-abcdef", percent: 10 },
                ],
            },
            false,
            /api-000000000000-abcdef holds most traffic \(90%\)/,
        ],
    ];
    for (const [name, change, healthy, evidence] of table) {
        const got = cloudRunDeployed({ ...ok, ...change });
        assert.equal(got.healthy, healthy, name);
        assert.equal(got.digest, D1, name);
        assert.match(got.evidence, evidence, name);
    }
});

test("VM: every host must report the digest in its ACTIVE line", () => {
    assert.deepEqual(
        vmDeployed({
            digest: D1,
            hosts: [
                { host: "a", active: { color: "blue", digest: D1 } },
                { host: "b", active: { color: "green", digest: D1 } },
            ],
        }),
        { digest: D1, healthy: true, evidence: "ready and served by nginx on a (blue), b (green)" },
    );
    const off = vmDeployed({
        digest: D1,
        hosts: [
            { host: "a", active: { color: "blue", digest: D1 } },
            { host: "b", active: { color: "blue", digest: D2 } },
            { host: "c" },
        ],
    });
    assert.equal(off.healthy, false);
    assert.equal(off.evidence, `hosts b (serves ${D2}), c (no ACTIVE line) did not report ${D1}`);
});

test("every committed staging stack exports the evidence, in plain text, for promotion", async () => {
    const stacks = ["staging", "gcp-staging", "vm-staging"];
    const runs = await Promise.all(stacks.map((s) => planCli(["--stack", s, "--json"])));
    for (const [i, stack] of stacks.entries()) {
        assert.equal(runs[i].code, 0, runs[i].stderr);
        const api = JSON.parse(runs[i].stdout).outputs.services.api;
        assert.deepEqual(Object.keys(api.deployed).sort(), ["digest", "evidence", "healthy"], stack);
        assert.equal(
            api.deployed.digest,
            api.digest,
            `${stack}: the target reports the digest the stack claims`,
        );
        assert.equal(api.deployed.healthy, true, stack);
    }
});
