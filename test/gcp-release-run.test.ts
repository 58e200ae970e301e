/**
 * The Cloud Run release runner run for real, as the Pulumi program's `local.Command` runs it:
 * `node --require ./scripts/register.js scripts/gcp-release.ts` in a child process, with
 * RELEASE_SPEC, Application Default Credentials from an external_account file whose `token_url`
 * is the loopback fake (google-auth-library does the real token exchange), and the Cloud Run and
 * IAM Credentials APIs pointed at the fake (test/fixtures/gcp-release/fake-google.ts, which cites
 * the Google source of each behaviour). Nothing leaves 127.0.0.1.
 *
 * The spec's service, region, project and checks come from Pulumi.gcp-staging.yaml through the
 * config parser; revision names and tags from components/gcp/cloud-run-service.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { revisionTag } from "../components/gcp/cloud-run-service";
import type { ReleaseSpec } from "../scripts/gcp-release/spec";
import type { AppMode, FakeGoogle } from "./fixtures/gcp-release/fake-google";
import { NEW, OLD, stagedSpec, stagedWorld, svc, TESTER } from "./fixtures/gcp-release/staged";
import { type Run, runReleaseRunner } from "./fixtures/gcp-release/run-runner";

/** The staged release, with one extra check: the stack's own list is empty. */
const baseSpec = (): ReleaseSpec =>
    stagedSpec({
        checks: { ...stagedSpec().checks, checks: [...svc.smoke.checks, { path: "/v1/ping", status: 200 }] },
    });

let tmp = "";
const runRunner = (spec: unknown, google: FakeGoogle, env: Record<string, string> = {}) =>
    runReleaseRunner(tmp, spec, google, env);

const world = (mode: AppMode) => stagedWorld(mode);

function result(stdout: string): any {
    const lines = stdout.trimEnd().split("\n");
    const last = lines[lines.length - 1];
    assert.match(last, /^release-result: \{/, `last stdout line is the result line:\n${stdout}`);
    return JSON.parse(last.slice("release-result: ".length));
}

function noTokenPrinted(r: Run, google: FakeGoogle): void {
    for (const t of [google.accessToken, google.idToken])
        assert.ok(!r.stdout.includes(t) && !r.stderr.includes(t), "a token appears in the runner's output");
}

const timings: number[] = [];

describe("Cloud Run release runner against loopback Google", () => {
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gcp-release-"));
    });
    after(() => {
        fs.rmSync(tmp, { recursive: true, force: true });
        if (timings.length) process.stdout.write(`# good release runs took ${timings.join(", ")} ms\n`);
    });

    it("a release that passes its smoke test moves traffic, etag sent, and reads it back", async () => {
        const w = await world("good");
        try {
            const r = await runRunner(baseSpec(), w.google);
            timings.push(r.ms);
            assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
            const patches = w.google.of("PATCH");
            assert.equal(patches.length, 1);
            assert.equal(patches[0].query, "?updateMask=traffic");
            assert.equal(patches[0].body.etag, '"fake-etag-1"');
            assert.deepEqual(
                patches[0].body.traffic.map((t: any) => [t.revision, t.percent, t.tag]),
                baseSpec().target!.map((t) => [t.revision, t.percent, t.tag]),
            );
            // The smoke requests reached the new revision's tag URL before the PATCH.
            const res = result(r.stdout);
            assert.equal(res.smoked, revisionTag(svc.name, NEW));
            assert.deepEqual(
                res.smoke.results.map((x: any) => [x.path, x.status]),
                [
                    ["/readiness", 200],
                    ["/health", 200],
                    ["/v1/ping", 200],
                ],
            );
            assert.deepEqual(
                res.trafficStatuses.map((t: any) => [t.revision, t.percent]),
                [
                    [NEW, 100],
                    [OLD, 0],
                ],
            );
            // The previous revision stays addressable on its tag.
            assert.equal(res.trafficStatuses[1].tag, revisionTag(svc.name, OLD));
            assert.ok(
                w.google.of("GET").some((g) => g.path.includes("/operations/")),
                "the operation was polled",
            );
            noTokenPrinted(r, w.google);
        } finally {
            await w.close();
        }
    });

    it("a release whose /health answers 500 exits 1 with the report, and traffic is never patched", async () => {
        const w = await world("bad-health");
        try {
            const r = await runRunner(baseSpec(), w.google);
            assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
            assert.equal(w.google.of("PATCH").length, 0, "a PATCH reached the API after a failed smoke test");
            assert.match(r.stdout, /GET \/health -> 500 \(expected 2xx\) FAIL/);
            assert.match(
                r.stderr,
                /smoke test of tag "rev-[a-f0-9]{12}-0a1b2c" failed; traffic was not moved/,
            );
            const res = result(r.stdout);
            assert.equal(res.smoke.ok, false);
            assert.deepEqual(
                res.trafficStatuses.map((t: any) => [t.revision, t.percent]),
                [
                    [OLD, 100],
                    [NEW, 0],
                ],
            );
        } finally {
            await w.close();
        }
    });

    it("a release that answers too slowly times out, exits 1, and traffic is never patched", async () => {
        const w = await world("slow");
        try {
            const spec = baseSpec();
            spec.checks.timeoutSeconds = 1;
            const r = await runRunner(spec, w.google);
            assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
            assert.equal(w.google.of("PATCH").length, 0);
            assert.match(r.stdout, /GET \/readiness -> timed out after 1 s \(expected 2xx\) FAIL/);
            // A revision that never answers readiness is SD-018, cited as components/failures.ts cites it.
            assert.match(
                r.stderr,
                new RegExp(
                    `gcp-release: SD-018: revision ${NEW} on tag "${revisionTag(svc.name, NEW)}" never answered its readiness path /readiness \\(timed out after 1 s\\); traffic was not moved\\..* \\(see docs/failures\\.md#sd-018\\)`,
                ),
            );
        } finally {
            await w.close();
        }
    });

    it("a private service is smoke-tested with the ID token IAM minted for the tester, on every request", async () => {
        const w = await world("private");
        const priv = w.google;
        const app = w.app;
        try {
            const spec = { ...baseSpec(), tester: TESTER, audience: "https://api.staging.example.com" };
            const r = await runRunner(spec, priv);
            assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
            const minted = priv.requests.filter((q) => q.path.endsWith(":generateIdToken"));
            assert.equal(minted.length, 1);
            assert.equal(
                minted[0].path,
                `/v1/projects/-/serviceAccounts/${encodeURIComponent(TESTER)}:generateIdToken`,
            );
            assert.deepEqual(minted[0].body, {
                audience: "https://api.staging.example.com",
                includeEmail: true,
            });
            assert.equal(
                minted[0].authorization,
                `Bearer ${priv.accessToken}`,
                "minted with the ADC access token",
            );
            assert.equal(app.seen.length, 3);
            for (const a of app.seen) assert.equal(a, `Bearer ${priv.idToken}`);
            assert.equal(priv.of("PATCH").length, 1);
            noTokenPrinted(r, priv);
        } finally {
            await w.close();
        }
    });

    it("a service that refuses unauthenticated checks with 403 fails naming the allUsers binding, and never patches", async () => {
        const w = await world("private");
        try {
            const r = await runRunner({ ...baseSpec(), iamWaitSeconds: 1 }, w.google);
            assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
            assert.match(r.stdout, /GET \/readiness -> 403 \(expected 2xx\) FAIL/);
            assert.match(
                r.stderr,
                /refuses unauthenticated requests: its `allUsers` invoker binding may not have propagated yet/,
            );
            assert.equal(w.google.of("PATCH").length, 0);
        } finally {
            await w.close();
        }
    });

    it("without Application Default Credentials it fails saying how to sign in, and calls nothing", async () => {
        const w = await world("good");
        try {
            const r = await runRunner(baseSpec(), w.google, {
                GOOGLE_APPLICATION_CREDENTIALS: path.join(tmp, "no-such-credentials.json"),
            });
            assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
            assert.match(r.stderr, /no access token from Application Default Credentials/);
            assert.match(
                r.stderr,
                /next: sign in for Application Default Credentials \(`gcloud auth application-default login`/,
            );
            assert.equal(w.google.requests.length, 0);
        } finally {
            await w.close();
        }
    });

    it("a smoke tag the service does not carry fails naming it and the tags that exist", async () => {
        const w = await world("good");
        try {
            const r = await runRunner({ ...baseSpec(), smoke: { tag: "rev-000000000000-ffffff" } }, w.google);
            assert.equal(r.code, 1);
            assert.match(
                r.stderr,
                new RegExp(
                    `traffic tag "rev-000000000000-ffffff" is not on the service .*${revisionTag(svc.name, OLD)}, ${revisionTag(svc.name, NEW)}`,
                ),
            );
            assert.equal(w.google.of("PATCH").length, 0);
        } finally {
            await w.close();
        }
    });

    it("a bad spec exits 2 naming the field, and calls nothing", async () => {
        const w = await world("good");
        try {
            const spec: any = baseSpec();
            spec.checks.timeoutSeconds = "5";
            const r = await runRunner(spec, w.google);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /RELEASE_SPEC\.checks\.timeoutSeconds: /);
            assert.equal(w.google.requests.length, 0);
            assert.equal(r.stdout, "");
        } finally {
            await w.close();
        }
    });

    it("a service changed by someone else between read and write is refused, not overwritten", async () => {
        const w = await world("good");
        try {
            w.google.changeBeforePatch = true;
            const r = await runRunner(baseSpec(), w.google);
            assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
            assert.match(r.stderr, /HTTP 409 ABORTED/);
            assert.match(r.stderr, /next: the service changed while the release ran/);
            assert.equal(result(r.stdout).trafficStatuses[0].percent, 100, "traffic stays as it was");
        } finally {
            await w.close();
        }
    });

    it("a traffic PATCH that landed but answered 503 is retried, its 409 recognized as ours, and the release goes through", async () => {
        const w = await world("good");
        try {
            w.google.patchLandsButFails = true;
            const r = await runRunner(baseSpec(), w.google);
            assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
            assert.equal(w.google.of("PATCH").length, 2);
            assert.match(r.stdout, /HTTP 409 ABORTED.*reading the service/);
            assert.match(r.stdout, /an earlier try of this change landed/);
            assert.match(r.stdout, /is reconciling; reading it again/);
            assert.deepEqual(
                result(r.stdout).trafficStatuses.map((t: any) => [t.revision, t.percent]),
                [
                    [NEW, 100],
                    [OLD, 0],
                ],
            );
        } finally {
            await w.close();
        }
    });

    it("a 503 from the API is retried and the release goes through", async () => {
        const w = await world("good");
        try {
            w.google.failGets = 2;
            const r = await runRunner(baseSpec(), w.google);
            assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
            assert.match(r.stdout, /HTTP 503 UNAVAILABLE.*try 2 of 5/);
            assert.equal(w.google.of("PATCH").length, 1);
        } finally {
            await w.close();
        }
    });
});
