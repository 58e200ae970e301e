/**
 * The DATABASE_URL a GCP stack writes to Secret Manager, taken from the program's real output,
 * connects with `psql` and the `pg` package to a real PostgreSQL on loopback
 * (test/support/postgres-lab.ts). Only the address changes: the Cloud SQL socket directory
 * becomes a temp directory holding the lab's socket, or the private IP becomes 127.0.0.1 and
 * the lab's port. Run once per stack by gcp-database-url-*.test.ts (one stack per process).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "pg";
import { graphOf } from "./mocks";
import { type PostgresLab, postgresLabAvailable, startPostgresLab } from "./support/postgres-lab";

/** The stack's DATABASE_URL as the program wrote it (the secret version's data). */
async function programUrl(stack: string): Promise<string> {
    const g = await graphOf(stack);
    const v = g
        .all("gcp:secretmanager/secretVersion:SecretVersion")
        .map((r) => g.inputs(r))
        .find((i) => String(i.secret).includes("database-url"));
    assert.ok(v, "a database-url secret version");
    return v.secretData as string;
}

const QUERY =
    "select current_user || ' ' || current_database() || ' ' || coalesce((select ssl::text from pg_stat_ssl where pid = pg_backend_pid()), 'none')";

function psql(url: string, env: Record<string, string> = {}) {
    return spawnSync("psql", ["-XAtc", QUERY, url], { encoding: "utf8", env: { ...process.env, ...env } });
}

async function pgQuery(url: string): Promise<string> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
        const r = await c.query(QUERY);
        return String(Object.values(r.rows[0])[0]);
    } finally {
        await c.end();
    }
}

export function databaseUrlSuite(stack: string, path_: "unix-socket" | "private-ip"): void {
    describe(`${stack}: DATABASE_URL (${path_}) against a real PostgreSQL`, {
        skip: !postgresLabAvailable() && "Debian PostgreSQL 15 not installed",
    }, () => {
        let lab: PostgresLab;
        let url: URL;
        let local: string;
        before(async () => {
            const written = await programUrl(stack);
            url = new URL(written);
            lab = await startPostgresLab([
                {
                    name: decodeURIComponent(url.username),
                    password: decodeURIComponent(url.password),
                    database: decodeURIComponent(url.pathname.slice(1)),
                },
            ]);
            if (path_ === "unix-socket") {
                // /cloudsql/<project:region:instance> is a directory holding .s.PGSQL.5432.
                const socketDir = decodeURIComponent(url.hostname);
                assert.match(socketDir, /^\/cloudsql\/[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]+$/);
                const root = fs.mkdtempSync(path.join(os.tmpdir(), "cloudsql-"));
                const dir = path.join(root, socketDir);
                fs.mkdirSync(dir, { recursive: true });
                fs.symlinkSync(path.join(lab.dir, `.s.PGSQL.${lab.port}`), path.join(dir, ".s.PGSQL.5432"));
                local = written.replace(encodeURIComponent(socketDir), encodeURIComponent(dir));
            } else {
                assert.equal(url.searchParams.get("sslmode"), "require");
                local = written.replace(`@${url.host}/`, `@127.0.0.1:${lab.port}/`);
            }
            assert.notEqual(local, written, "only the address changed");
        });
        after(() => lab?.stop());

        it("psql connects with the URL as written", () => {
            const r = psql(local);
            assert.equal(r.status, 0, r.stderr);
            const [user, db, ssl] = r.stdout.trim().split(" ");
            assert.equal(user, decodeURIComponent(url.username));
            assert.equal(db, decodeURIComponent(url.pathname.slice(1)));
            assert.equal(
                ssl,
                path_ === "private-ip" ? "true" : "false",
                "TLS on TCP; the socket path is the connector's",
            );
        });

        if (path_ === "unix-socket")
            it("the pg package connects with the URL as written", async () => {
                const [user, db] = (await pgQuery(local)).split(" ");
                assert.equal(user, decodeURIComponent(url.username));
                assert.equal(db, decodeURIComponent(url.pathname.slice(1)));
            });
        else
            it("the pg package connects with the URL as written when the app trusts the server's CA, and refuses a server it cannot verify", () => {
                // pg 8 reads sslmode=require as verify-full (pg-connection-string 2.14): the
                // certificate is checked, so the app needs the instance's server CA in its trust
                // store; without it pg refuses rather than talking to an unverified server.
                const script = `const { Client } = require("pg"); const c = new Client({ connectionString: process.env.URL }); c.connect().then(() => c.query(${JSON.stringify(QUERY)})).then((r) => { console.log(Object.values(r.rows[0])[0]); return c.end(); }).catch((e) => { console.error(e.message); process.exit(1); });`;
                const run = (env: Record<string, string>) =>
                    spawnSync(process.execPath, ["-e", script], {
                        encoding: "utf8",
                        cwd: path.resolve(__dirname, ".."),
                        env: { ...process.env, URL: local, NODE_NO_WARNINGS: "1", ...env },
                    });
                const trusted = run({ NODE_EXTRA_CA_CERTS: lab.caFile });
                assert.equal(trusted.status, 0, trusted.stderr);
                const [user, , ssl] = trusted.stdout.trim().split(" ");
                assert.equal(user, decodeURIComponent(url.username));
                assert.equal(ssl, "true");
                const untrusted = run({});
                assert.notEqual(untrusted.status, 0);
                assert.match(
                    untrusted.stderr,
                    /unable to verify the first certificate|self-signed certificate/,
                );
            });

        if (path_ === "private-ip")
            it("a server without TLS is refused, not silently used in plain text", () => {
                const r = psql(local.replace("sslmode=require", "sslmode=disable"));
                assert.notEqual(r.status, 0);
            });
    });
}
