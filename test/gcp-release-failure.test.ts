/**
 * A failed release smoke test that is a catalogued failure carries its code and anchor in the
 * form components/failures.ts `cite` gives (docs/failures.md): a revision that never answers its
 * readiness path is SD-018 "new version never becomes ready". The real runner's message is held in
 * test/gcp-release-run.test.ts ("answers too slowly").
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cite } from "../components/failures";
import type { SmokeReport } from "../components/smoke";
import { smokeFailure } from "../scripts/gcp-release/release";

const result = (path: string, ok: boolean, status?: number, error?: string) => ({
    path,
    expected: "2xx",
    ok,
    durationMs: 1,
    ...(status === undefined ? {} : { status }),
    ...(error === undefined ? {} : { error }),
});
const report = (...results: SmokeReport["results"]): SmokeReport => ({
    ok: results.every((r) => r.ok),
    results,
});
const at = {
    revision: "api-1",
    tag: "rev-1",
    url: "https://rev-1---api",
    readinessPath: "/readiness",
    tester: null,
};
const kept = "traffic was not moved. The revision stays at 0% on https://rev-1---api for a look";
const sd018 = (why: string) =>
    cite(
        "SD-018",
        `revision api-1 on tag "rev-1" never answered its readiness path /readiness (${why}); ${kept}; ` +
            "read the revision's log (Cloud Run console, the revision's Logs), fix the app, then run `pulumi up` again",
    );

test("a smoke failure on the readiness path is cited as SD-018; other failures carry no code", () => {
    const cases: [SmokeReport, string | null][] = [
        [
            report(
                result("/readiness", false, undefined, "timed out after 5 s"),
                result("/health", false, 503),
            ),
            sd018("timed out after 5 s"),
        ],
        [report(result("/readiness", false, 503), result("/health", true, 200)), sd018("503")],
        // Refused (401/403) is the tester's access, not readiness.
        [report(result("/readiness", false, 403), result("/health", false, 403)), null],
        [report(result("/readiness", true, 200), result("/health", false, 500)), null],
        [report(result("/readiness", true, 200), result("/health", true, 200)), null],
    ];
    for (const [r, want] of cases) {
        const got = smokeFailure(r, at);
        if (want) assert.equal(got, want);
        else {
            assert.doesNotMatch(got, /SD-\d{3}/, JSON.stringify(r.results));
            assert.match(got, /^smoke test of tag "rev-1" failed; traffic was not moved/);
        }
    }
});
