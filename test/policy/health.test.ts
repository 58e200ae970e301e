import { test } from "node:test";
import assert from "node:assert/strict";
import { cite } from "../../components/failures";
import { healthChecksConsistent } from "../../policies/health";
import { messages } from "./harness";
import { cloudRun, cloudRunContainer, targetGroup, vmDeploy, vmCreate } from "../../scripts/policy-fixtures";

const H = healthChecksConsistent();
/** The real blue target group's health check, as the program writes it. */
const good = targetGroup().props.healthCheck;
/** The real blue target group with its health check replaced. */
const tg = (hc: Record<string, unknown> | undefined) => targetGroup({ healthCheck: hc });

test("health-checks-consistent: readiness on the target group, HTTP probes on Cloud Run, readiness on the VM pass", async () => {
    assert.deepEqual(await messages(H, [tg(good), cloudRun(), vmDeploy()]), []);
});

test("health-checks-consistent: a target group checking / or /health, or out of limits, is refused", async () => {
    assert.deepEqual(await messages(H, [tg({ ...good, path: "/health" })]), [
        cite(
            "SD-015",
            'target group "aws-api-blue": checks /health instead of the readiness path /readiness.',
        ),
    ]);
    assert.deepEqual(await messages(H, [tg({ ...good, path: undefined })]), [
        cite(
            "SD-015",
            'target group "aws-api-blue": checks / (the default) instead of the readiness path /readiness.',
        ),
    ]);
    assert.deepEqual(await messages(H, [tg({ ...good, interval: 5, timeout: 6, healthyThreshold: 1 })]), [
        cite("SD-015", 'target group "aws-api-blue": timeout 6s must be shorter than the interval 5s.'),
        cite("SD-015", 'target group "aws-api-blue": healthyThreshold 1 is outside 2-10.'),
    ]);
    assert.deepEqual(await messages(H, [tg({ enabled: false })]), [
        cite("SD-015", 'target group "aws-api-blue": health checks are disabled.'),
    ]);
});

test("health-checks-consistent: the service's own readiness path comes from its contract", async () => {
    const config = {
        "health-checks-consistent": { contracts: { api: { env: {}, health: { readiness: "/ready" } } } },
    };
    assert.deepEqual(await messages(H, [tg(good)], config), [
        cite(
            "SD-015",
            'target group "aws-api-blue": checks /readiness instead of the readiness path /ready.',
        ),
    ]);
});

test("health-checks-consistent: Cloud Run on the default TCP probe, or probes on the wrong paths, is refused (SD-015)", async () => {
    assert.deepEqual(await messages(H, [cloudRun({ startupProbe: { tcpSocket: { port: 8080 } } })]), [
        cite(
            "SD-015",
            'Cloud Run service "gcp-api-service": container "api" has no HTTP startup probe (the default TCP probe passes before the app is ready).',
        ),
    ]);
    assert.deepEqual(
        await messages(H, [
            cloudRun({
                startupProbe: { httpGet: { path: "/health" } },
                livenessProbe: { httpGet: { path: "/readiness" } },
            }),
        ]),
        [
            cite(
                "SD-015",
                'Cloud Run service "gcp-api-service": container "api" startup probe checks /health instead of the readiness path /readiness.',
            ),
            cite(
                "SD-015",
                'Cloud Run service "gcp-api-service": container "api" liveness probe checks /readiness instead of the liveness path /liveness.',
            ),
        ],
    );
});

test("health-checks-consistent: Cloud Run probe thresholds beyond its limits are refused", async () => {
    const c = cloudRunContainer();
    assert.deepEqual(
        await messages(H, [
            cloudRun({ startupProbe: { ...c.startupProbe, periodSeconds: 300, initialDelaySeconds: 600 } }),
        ]),
        [
            cite(
                "SD-015",
                'Cloud Run service "gcp-api-service": container "api" startup probe periodSeconds 300 exceeds Cloud Run\'s 240.',
            ),
            cite(
                "SD-015",
                'Cloud Run service "gcp-api-service": container "api" startup probe initialDelaySeconds 600 exceeds Cloud Run\'s 240.',
            ),
        ],
    );
});

test("health-checks-consistent: a VM deploy that does not wait on readiness is refused", async () => {
    assert.deepEqual(
        await messages(H, [vmDeploy({ create: vmCreate(" --readiness-path='/readiness'", "") })]),
        [
            cite(
                "SD-015",
                'VM deploy "vm-api-oci-arm-1-deploy": waits on nothing (no --readiness-path) instead of the readiness path /readiness.',
            ),
        ],
    );
    assert.deepEqual(
        await messages(H, [
            vmDeploy({ create: vmCreate("--readiness-path='/readiness'", "--readiness-path='/'") }),
        ]),
        [
            cite(
                "SD-015",
                'VM deploy "vm-api-oci-arm-1-deploy": waits on / instead of the readiness path /readiness.',
            ),
        ],
    );
});
