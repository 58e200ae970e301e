/**
 * The two halves of a Cloud Run release joined on real output: the Pulumi program, run under
 * mocks from each committed GCP stack (and one field changed per release), writes the release
 * step's `create`, `dir` and `RELEASE_SPEC`; the runner's own `parseSpec` must take that spec, and
 * the REAL runner, started with that `create` in that `dir` (as @pulumi/command runs it), releases
 * against the loopback fake of Google (test/fixtures/gcp-release/fake-google.ts) whose service is
 * the program's real Service traffic and tags. Its real last stdout line then goes through the
 * program's own reading of it (`releaseOutputs`, what components/gcp/cloud-run-service.ts
 * exports as servingRevision, tagUrls and deployed).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { RELEASE_COMMAND } from "../components/gcp/release-plan";
import { releaseOutputs } from "../components/gcp/release-result";
import { parseSpec } from "../scripts/gcp-release/spec";
import { FakeGoogle, startApp } from "./fixtures/gcp-release/fake-google";
import { runReleaseRunner } from "./fixtures/gcp-release/run-runner";
import { gcpStagingWith, lastOutputsOf, planJson } from "./gcp-plans";

const ROOT = path.resolve(__dirname, "..");
const B = `sha256:${"7c".repeat(32)}`;
let tmp = "";

const plan = planJson;
const one = (doc: any, type: string) => {
    const found = doc.resources.filter((r: any) => r.type === type);
    assert.equal(found.length, 1, type);
    return found[0].inputs;
};
const SERVICE = "gcp:cloudrunv2/service:Service";
const lastOutputs = lastOutputsOf;
const staging = (digest: string, traffic: object) =>
    ["--stack", "fixture", "--config", gcpStagingWith(digest, traffic)].join("\n");

/**
 * The program's release step run for real: its spec through the runner's parser, then the runner
 * (its `create` in its `dir`) against a fake Google serving the plan's Service traffic, the new
 * revision's tag URL on a good loopback app and every other revision's on a closed port.
 */
async function release(doc: any) {
    const cmd = one(doc, "command:local:Command");
    assert.equal(cmd.create, RELEASE_COMMAND);
    assert.equal(cmd.dir, ROOT);
    const specText: string = cmd.environment.RELEASE_SPEC;
    const parsed = parseSpec(specText);
    assert.ok(parsed.ok, `the runner refuses the program's RELEASE_SPEC: ${!parsed.ok && parsed.error}`);
    const svc = one(doc, SERVICE);
    const revision: string = svc.template.revision;
    const traffic = svc.traffics.map((t: any) => ({ revision: t.revision, percent: t.percent, tag: t.tag }));
    const others = traffic.map((t: any) => t.revision).filter((r: string) => r !== revision);
    const google = new FakeGoogle({
        project: parsed.value.project,
        region: parsed.value.region,
        service: svc.name,
        // The fake's latest ready revision is its last: the one this up created.
        revisions: [
            ...others.map((name: string) => ({ name, url: "http://127.0.0.1:9/not-smoked" })),
            { name: revision, url: "" },
        ],
        traffic,
    });
    await google.start();
    const app = await startApp("good");
    google.pointRevision(revision, app.url);
    try {
        const run = await runReleaseRunner(tmp, specText, google, {}, { create: cmd.create, dir: cmd.dir });
        assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
        const outputs = releaseOutputs(run.stdout, {
            image: svc.template.containers[0].image,
            revision,
            terminalConditions: [{ type: "Ready", state: "CONDITION_SUCCEEDED" }],
        });
        return { spec: parsed.value, run, outputs, revision, app: app.url, google };
    } finally {
        await Promise.all([app.close(), google.close()]);
    }
}

/** The outputs a good release must give: our revision serves, ready, every tag at the fake's URL. */
function assertReleased(r: Awaited<ReturnType<typeof release>>, tags: Record<string, string>) {
    assert.equal(r.outputs.servingRevision, r.revision);
    assert.deepEqual(r.outputs.tagUrls, tags);
    assert.equal(r.outputs.deployed.healthy, true, r.outputs.deployed.evidence);
    assert.match(r.outputs.deployed.evidence, new RegExp(`revision ${r.revision} is ready and serves 100%`));
}

const tagOf = (revision: string) => `rev-${revision.slice(4)}`;

describe("the program's release step and the real runner agree", () => {
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gcp-join-"));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    for (const stack of ["gcp-staging", "gcp-production"])
        it(`${stack}: the runner takes the program's spec, smokes the first revision and the program reads its result`, async () => {
            const r = await release(await plan(["--stack", stack]));
            assert.deepEqual(r.spec.smoke, { tag: tagOf(r.revision) });
            assert.equal(r.spec.target, null);
            assert.equal(r.google.of("PATCH").length, 0);
            assertReleased(r, { [tagOf(r.revision)]: r.app });
        });

    it("a staged release (new digest at 0%, previous serving) is smoked, moved and read back as ours; then a re-up only verifies", async () => {
        const first = await plan(["--stack", "gcp-staging"]);
        const A = one(first, SERVICE).template.revision as string;
        const config = staging(B, { percent: 100, previous: A }).split("\n");
        const staged = await plan([...config, ...lastOutputs(first)]);
        const r = await release(staged);
        assert.deepEqual(
            one(staged, SERVICE).traffics.map((t: any) => [t.revision, t.percent]),
            [
                [r.revision, 0],
                [A, 100],
            ],
        );
        assert.equal(r.google.of("PATCH").length, 1);
        assertReleased(r, { [tagOf(r.revision)]: r.app, [tagOf(A)]: "http://127.0.0.1:9/not-smoked" });

        // The same config again after that release: every serving revision passed, so the
        // Service writes the target and the runner only reads it back (no smoke, no PATCH).
        const direct = await plan([...config, ...lastOutputs(staged)]);
        const d = await release(direct);
        assert.equal(d.spec.smoke, null);
        assert.equal(d.spec.target, null);
        assert.equal(d.google.of("PATCH").length, 0);
        assert.equal(d.revision, r.revision);
        assertReleased(d, { [tagOf(d.revision)]: d.app, [tagOf(A)]: "http://127.0.0.1:9/not-smoked" });
    });
});
