/**
 * The release step of a committed GCP stack's first deploy, run by gcp-suite.ts once per stack
 * file (one stack per process).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as YAML from "yaml";
import type { Graph } from "./mocks";
import { releaseTimeoutMinutes, runnerWorstCaseSeconds } from "../components/gcp/release-budget";

export function gcpReleaseStepSuite(stack: string, graph: () => Promise<Graph>): void {
    const e = { stack };
    const file = YAML.parse(fs.readFileSync(`Pulumi.${stack}.yaml`, "utf8")).config;
    const svcCfg = file["service-deploy:services"][0];
    const project = file["gcp:project"];
    test(`${e.stack}: the first release takes 100% and is smoke-tested right after by the release step, which waits on the service and its invoker`, async () => {
        const g = await graph();
        const r = g.inputs(g.one("gcp:cloudrunv2/service:Service"));
        const step = g.one("command:local:Command");
        const spec = JSON.parse(g.inputs(step).environment.RELEASE_SPEC);
        const tag = `rev-${r.template.revision.slice(4)}`;
        assert.deepEqual(
            r.traffics.map((t: any) => [t.revision, t.percent]),
            [[r.template.revision, 100]],
        );
        assert.deepEqual(spec, {
            project,
            region: file["gcp:region"],
            service: "api",
            smoke: { tag },
            target: null,
            checks: {
                readinessPath: svcCfg.health.readiness,
                healthPath: svcCfg.health.health,
                checks: [],
                timeoutSeconds: 5,
            },
            audience: null,
            tester: null,
        });
        assert.equal(svcCfg.cloudRun.public, true);
        assert.equal(r.customAudiences, undefined);
        for (const dep of [
            g.one("gcp:cloudrunv2/service:Service"),
            g.one("gcp:cloudrunv2/serviceIamMember:ServiceIamMember"),
        ])
            assert.ok(step.dependencies.includes(dep.urn), `the release step waits on ${dep.name}`);
        assert.equal(g.inputs(step).logging, "none");
        // The runner's worst case for the step's own checks, and a minute more (gcp-release-budget.test.ts).
        const minutes = `${releaseTimeoutMinutes(spec.checks)}m`;
        assert.deepEqual(step.options.customTimeouts, { create: minutes, update: minutes });
        assert.ok(releaseTimeoutMinutes(spec.checks) * 60 > runnerWorstCaseSeconds(spec.checks));
        assert.deepEqual(g.result.outputs.services, {
            ...(g.result.outputs.services as object),
            api: {
                ...(g.result.outputs.services as any).api,
                released: [r.template.revision],
                servingRevision: r.template.revision,
            },
        });
    });
}
