/**
 * The Cloud Run release runner's pure decisions (scripts/gcp-release/spec.ts, release.ts's
 * nextStep) and the smoke checks' extra headers. Service shapes come from the loopback fake
 * (test/fixtures/gcp-release/fake-google.ts), which follows `@googleapis/run` 34.0.0.
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { describeSmoke, runSmoke } from "../components/smoke";
import { ApiError, AuthError, apiError } from "../scripts/gcp-release/api";
import { nextStep, smokeHint } from "../scripts/gcp-release/release";
import {
    BY_REVISION,
    backoffMs,
    parseSpec,
    type ReleaseSpec,
    resultLine,
    type ServiceView,
    tagUrl,
    trafficDiff,
    trafficLines,
    trafficPatch,
    transient,
} from "../scripts/gcp-release/spec";
import { FakeGoogle } from "./fixtures/gcp-release/fake-google";

const GOOD: ReleaseSpec = {
    project: "acme-services-prod",
    region: "asia-east1",
    service: "api",
    smoke: { tag: "rev-4f2a9c1e7b3d-0a1b2c" },
    target: [
        { revision: "api-4f2a9c1e7b3d-0a1b2c", percent: 100, tag: "rev-4f2a9c1e7b3d-0a1b2c" },
        { revision: "api-9b1c3e5a7d9f-3c4d5e", percent: 0, tag: "rev-9b1c3e5a7d9f-3c4d5e" },
    ],
    checks: { readinessPath: "/readiness", healthPath: "/health", checks: [], timeoutSeconds: 5 },
    audience: null,
    tester: null,
};

const clone = (): any => JSON.parse(JSON.stringify(GOOD));

/** The Service as the fake Cloud Run API answers it: NEW tagged at 0%, OLD serving. */
function served(): ServiceView {
    const f = new FakeGoogle({
        project: GOOD.project,
        region: GOOD.region,
        service: GOOD.service,
        revisions: [
            {
                name: "api-9b1c3e5a7d9f-3c4d5e",
                url: "https://rev-9b1c3e5a7d9f-3c4d5e---api-abc123-ew.a.run.app",
            },
            {
                name: "api-4f2a9c1e7b3d-0a1b2c",
                url: "https://rev-4f2a9c1e7b3d-0a1b2c---api-abc123-ew.a.run.app",
            },
        ],
        traffic: [
            { revision: "api-9b1c3e5a7d9f-3c4d5e", percent: 100, tag: "rev-9b1c3e5a7d9f-3c4d5e" },
            { revision: "api-4f2a9c1e7b3d-0a1b2c", percent: 0, tag: "rev-4f2a9c1e7b3d-0a1b2c" },
        ],
    });
    return JSON.parse(JSON.stringify(f.service()));
}

describe("release spec validation", () => {
    it("accepts the contract's example spec as is", () => {
        const r = parseSpec(JSON.stringify(GOOD));
        assert.deepEqual(r, { ok: true, value: GOOD });
    });

    it("names the field of every bad spec", () => {
        const table: [string, ((s: any) => void) | { raw: string | undefined }, RegExp][] = [
            ["unset", { raw: undefined }, /^RELEASE_SPEC is not set/],
            ["not JSON", { raw: "{project:" }, /^RELEASE_SPEC is not JSON/],
            [
                "project with capitals",
                (s) => {
                    s.project = "Acme";
                },
                /^RELEASE_SPEC\.project: must be a Google Cloud project ID/,
            ],
            [
                "region missing",
                (s) => {
                    delete s.region;
                },
                /^RELEASE_SPEC\.region: /,
            ],
            [
                "service with an underscore",
                (s) => {
                    s.service = "my_api";
                },
                /^RELEASE_SPEC\.service: must be a Cloud Run service name/,
            ],
            [
                "smoke tag upper case",
                (s) => {
                    s.smoke.tag = "Rev-1";
                },
                /^RELEASE_SPEC\.smoke\.tag: must be a traffic tag/,
            ],
            [
                "smoke missing (must be null to skip)",
                (s) => {
                    delete s.smoke;
                },
                /^RELEASE_SPEC\.smoke: /,
            ],
            [
                "percents add to 90",
                (s) => {
                    s.target[0].percent = 90;
                },
                /^RELEASE_SPEC\.target: percents must add up to 100/,
            ],
            [
                "a tag twice",
                (s) => {
                    s.target[1].tag = s.target[0].tag;
                },
                /^RELEASE_SPEC\.target: each tag may appear once/,
            ],
            [
                "percent 12.5",
                (s) => {
                    s.target[0].percent = 12.5;
                },
                /^RELEASE_SPEC\.target\.0\.percent: /,
            ],
            [
                "empty target (null means none)",
                (s) => {
                    s.target = [];
                },
                /^RELEASE_SPEC\.target: /,
            ],
            [
                "timeout as a string",
                (s) => {
                    s.checks.timeoutSeconds = "5";
                },
                /^RELEASE_SPEC\.checks\.timeoutSeconds: /,
            ],
            [
                "check path relative",
                (s) => {
                    s.checks.checks = [{ path: "v1" }];
                },
                /^RELEASE_SPEC\.checks\.checks\.0\.path: must be an absolute URL path/,
            ],
            [
                "tester not an account",
                (s) => {
                    s.tester = "ops@example.com";
                },
                /^RELEASE_SPEC\.tester: must be a service account email/,
            ],
            [
                "audience not a URL",
                (s) => {
                    s.audience = "api";
                },
                /^RELEASE_SPEC\.audience: /,
            ],
            [
                "an unknown key",
                (s) => {
                    s.token = "x";
                },
                /^RELEASE_SPEC: .*"token"/,
            ],
        ];
        for (const [name, change, want] of table) {
            const spec = clone();
            if (typeof change === "function") change(spec);
            const r = parseSpec(typeof change === "function" ? JSON.stringify(spec) : change.raw);
            assert.equal(r.ok, false, name);
            if (!r.ok) assert.match(r.error, want, name);
        }
    });
});

describe("which tag URL is smoke-tested", () => {
    it("is the trafficStatuses entry carrying the smoke tag", () => {
        assert.deepEqual(tagUrl(served(), "rev-4f2a9c1e7b3d-0a1b2c"), {
            ok: true,
            value: "https://rev-4f2a9c1e7b3d-0a1b2c---api-abc123-ew.a.run.app",
        });
    });

    it("fails naming the tag and the tags the service has", () => {
        const r = tagUrl(served(), "rev-000000000000-ffffff");
        assert.equal(r.ok, false);
        if (!r.ok)
            assert.match(
                r.error,
                /^traffic tag "rev-000000000000-ffffff" is not on the service \(tags on projects\/acme-services-prod\/locations\/asia-east1\/services\/api: rev-9b1c3e5a7d9f-3c4d5e, rev-4f2a9c1e7b3d-0a1b2c\)/,
            );
    });

    it("fails when the tag is there without a URL yet, and says none when there are no tags", () => {
        const s = served();
        delete s.trafficStatuses![1].uri;
        const r = tagUrl(s, "rev-4f2a9c1e7b3d-0a1b2c");
        assert.ok(!r.ok && /has no URL yet/.test(r.error));
        const none = tagUrl(
            { name: "x", trafficStatuses: [{ percent: 100, type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST" }] },
            "t",
        );
        assert.ok(!none.ok && /\(tags on x: none\)/.test(none.error));
    });
});

describe("the traffic PATCH", () => {
    it("asks for traffic only, by revision, with the etag read", () => {
        assert.deepEqual(trafficPatch(GOOD, GOOD.target!, '"etag-7"'), {
            path: "v2/projects/acme-services-prod/locations/asia-east1/services/api",
            query: { updateMask: "traffic" },
            body: {
                etag: '"etag-7"',
                traffic: [
                    {
                        type: BY_REVISION,
                        revision: "api-4f2a9c1e7b3d-0a1b2c",
                        percent: 100,
                        tag: "rev-4f2a9c1e7b3d-0a1b2c",
                    },
                    {
                        type: BY_REVISION,
                        revision: "api-9b1c3e5a7d9f-3c4d5e",
                        percent: 0,
                        tag: "rev-9b1c3e5a7d9f-3c4d5e",
                    },
                ],
            },
        });
    });
});

describe("traffic comparison", () => {
    const want = GOOD.target!;
    const line = (revision: string, percent: number, tag: string) => ({ revision, percent, tag, uri: null });
    it("matches in any order, reads a missing percent as 0, and names each difference", () => {
        const table: [string, ReturnType<typeof line>[], string[]][] = [
            ["same", [line(want[0].revision, 100, want[0].tag), line(want[1].revision, 0, want[1].tag)], []],
            [
                "reordered",
                [line(want[1].revision, 0, want[1].tag), line(want[0].revision, 100, want[0].tag)],
                [],
            ],
            [
                "not moved",
                [line(want[1].revision, 100, want[1].tag), line(want[0].revision, 0, want[0].tag)],
                [
                    "missing: api-4f2a9c1e7b3d-0a1b2c 100% tag rev-4f2a9c1e7b3d-0a1b2c",
                    "missing: api-9b1c3e5a7d9f-3c4d5e 0% tag rev-9b1c3e5a7d9f-3c4d5e",
                    "unexpected: api-4f2a9c1e7b3d-0a1b2c 0% tag rev-4f2a9c1e7b3d-0a1b2c",
                    "unexpected: api-9b1c3e5a7d9f-3c4d5e 100% tag rev-9b1c3e5a7d9f-3c4d5e",
                ],
            ],
            [
                "previous untagged",
                [line(want[0].revision, 100, want[0].tag)],
                ["missing: api-9b1c3e5a7d9f-3c4d5e 0% tag rev-9b1c3e5a7d9f-3c4d5e"],
            ],
        ];
        for (const [name, got, diff] of table) assert.deepEqual(trafficDiff(want, got), diff, name);
    });

    it("reads the API's proto3 JSON, where a 0% entry has no percent", () => {
        const s = served();
        assert.equal(
            "percent" in s.trafficStatuses![1],
            false,
            "the fake leaves zero out, as proto3 JSON does",
        );
        assert.deepEqual(
            trafficLines(s).map((t) => [t.revision, t.percent]),
            [
                ["api-9b1c3e5a7d9f-3c4d5e", 100],
                ["api-4f2a9c1e7b3d-0a1b2c", 0],
            ],
        );
    });
});

describe("result line and failures", () => {
    it("is one line with the prefix and JSON that reads back", () => {
        const r = {
            service: "api",
            smoked: "rev-x",
            smoke: {
                ok: false,
                results: [{ path: "/health", expected: "2xx", ok: false, error: "a\nb", durationMs: 3 }],
            },
            latestReadyRevision: "api-x",
            trafficStatuses: trafficLines(served()),
        };
        const line = resultLine(r);
        assert.equal(line.split("\n").length, 1);
        assert.deepEqual(JSON.parse(line.replace(/^release-result: /, "")), r);
    });

    it("retries 429 and 5xx only, with a backoff that stops growing", () => {
        assert.deepEqual([400, 401, 403, 404, 409, 429, 500, 503, 504].map(transient), [
            false,
            false,
            false,
            false,
            false,
            true,
            true,
            true,
            true,
        ]);
        assert.deepEqual([1, 2, 3, 4, 5, 6, 9].map(backoffMs), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
    });

    it("says what to do next for each kind of API failure", () => {
        const at = (status: number, rpc = "") => nextStep(new ApiError(status, rpc, "GET x", "m"), GOOD);
        assert.match(
            at(403, "PERMISSION_DENIED"),
            /Application Default Credentials.*roles\/run\.admin.*roles\/iam\.serviceAccountOpenIdTokenCreator on the tester/,
        );
        assert.match(at(404), /service "api" exists in project "acme-services-prod", region "asia-east1"/);
        assert.match(at(409, "ABORTED"), /changed while the release ran/);
        assert.match(at(503), /run `pulumi up` again in a few minutes/);
        assert.match(nextStep(new Error("x"), GOOD), /pulumi up/);
        assert.match(
            nextStep(new AuthError("could not load"), GOOD),
            /gcloud auth application-default login/,
        );
    });

    it("tells a refused smoke test (401/403) from a failing release", () => {
        const report = (status: number) => ({
            ok: false,
            results: [{ path: "/readiness", expected: "2xx", status, ok: false, durationMs: 1 }],
        });
        const sa = "api-smoke@p-123456.iam.gserviceaccount.com";
        assert.match(
            smokeHint(report(403), null),
            /refuses unauthenticated requests: its `allUsers` invoker binding may not have propagated yet.*organization policy/,
        );
        assert.doesNotMatch(smokeHint(report(403), null), /RELEASE_SPEC/);
        assert.match(
            smokeHint(report(401), sa),
            /refuses api-smoke@p-123456\.iam\.gserviceaccount\.com's ID token: its roles\/run\.invoker binding may not have propagated yet/,
        );
        assert.match(smokeHint(report(500), null), /^fix the release/);
    });

    it("reads Google's JSON error body", () => {
        const e = apiError(
            "PATCH s",
            409,
            JSON.stringify({ error: { code: 409, message: "etag mismatch", status: "ABORTED" } }),
        );
        assert.equal(e.message, "PATCH s: HTTP 409 ABORTED: etag mismatch");
        assert.equal(
            apiError("GET s", 502, "<html>bad gateway</html>").message,
            "GET s: HTTP 502: <html>bad gateway</html>",
        );
    });
});

describe("smoke checks with extra headers", () => {
    it("sends the headers on every check and never reports them", async () => {
        const seen: (string | undefined)[] = [];
        const server = http.createServer((req, res) => {
            seen.push(req.headers.authorization);
            res.writeHead(req.headers.authorization === "Bearer id-token-xyz" ? 200 : 403).end();
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        try {
            const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            const report = await runSmoke({
                baseUrl,
                checks: [{ path: "/v1/ping" }],
                headers: { authorization: "Bearer id-token-xyz" },
            });
            assert.equal(report.ok, true, describeSmoke(report));
            assert.deepEqual(seen, ["Bearer id-token-xyz", "Bearer id-token-xyz", "Bearer id-token-xyz"]);
            assert.ok(!JSON.stringify(report).includes("id-token-xyz"));
            const without = await runSmoke({ baseUrl });
            assert.equal(without.ok, false, "the app refuses a request without the token");
        } finally {
            await new Promise<void>((r) => server.close(() => r()));
        }
    });
});
