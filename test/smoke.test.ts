import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { checkUrl, runSmoke, smokePlan, statusMatches } from "../components/smoke";

/** A loopback app that answers good, bad and slow, as a release under test might. */
function startApp(): Promise<{ url: string; close(): Promise<void> }> {
    const server = http.createServer((req, res) => {
        const u = new URL(req.url ?? "/", "http://x");
        if (u.pathname === "/readiness" || u.pathname === "/health") return void res.writeHead(200).end("ok");
        if (u.pathname === "/bad-health") return void res.writeHead(503).end("down");
        if (u.pathname === "/slow") return void setTimeout(() => res.writeHead(200).end("late"), 3000);
        if (u.pathname === "/teapot") return void res.writeHead(418).end();
        if (u.pathname === "/prefix/readiness" || u.pathname === "/prefix/health")
            return void res.writeHead(204).end();
        res.writeHead(404).end();
    });
    return new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () =>
            resolve({
                url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
                close: () => new Promise((r) => server.close(() => r())),
            }),
        ),
    );
}

describe("smoke checks", () => {
    let app: Awaited<ReturnType<typeof startApp>>;
    before(async () => {
        app = await startApp();
    });
    after(() => app.close());

    it("runs readiness and health first, then the extra checks, without duplicates", () => {
        assert.deepEqual(smokePlan({ checks: [{ path: "/health" }, { path: "/v1", status: 401 }] }), [
            { path: "/readiness" },
            { path: "/health" },
            { path: "/v1", status: 401 },
        ]);
    });

    it("accepts any 2xx unless a status is configured", () => {
        const table: [number | undefined, number, boolean][] = [
            [undefined, 200, true],
            [undefined, 204, true],
            [undefined, 301, false],
            [undefined, 503, false],
            [404, 404, true],
            [404, 200, false],
        ];
        for (const [status, got, ok] of table) assert.equal(statusMatches({ path: "/", status }, got), ok);
    });

    it("joins a base URL's path prefix with the check path", () => {
        assert.equal(
            checkUrl("https://h:8443/prefix/", "/health?x=1").href,
            "https://h:8443/prefix/health?x=1",
        );
    });

    it("passes a healthy release", async () => {
        const r = await runSmoke({ baseUrl: app.url, checks: [{ path: "/teapot", status: 418 }] });
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.deepEqual(
            r.results.map((x) => [x.path, x.status]),
            [
                ["/readiness", 200],
                ["/health", 200],
                ["/teapot", 418],
            ],
        );
    });

    it("fails a release whose health answers 503", async () => {
        const r = await runSmoke({ baseUrl: app.url, healthPath: "/bad-health" });
        assert.equal(r.ok, false);
        assert.deepEqual(r.results[1], { ...r.results[1], path: "/bad-health", status: 503, ok: false });
    });

    it("fails a check slower than timeoutSeconds as timed out", async () => {
        const r = await runSmoke({ baseUrl: app.url, checks: [{ path: "/slow" }], timeoutSeconds: 1 });
        assert.equal(r.ok, false);
        assert.match(r.results[2].error ?? "", /timed out after 1 s/);
        assert.ok(r.results[2].durationMs < 2500);
    });

    it("fails when nothing listens, naming the connection error", async () => {
        const closed = await startApp();
        await closed.close();
        const r = await runSmoke({ baseUrl: closed.url });
        assert.equal(r.ok, false);
        assert.match(r.results[0].error ?? "", /ECONNREFUSED/);
    });
});
