/**
 * The DATABASE_URL the AWS target builds (components/contract.ts postgresUrl with the CA file)
 * against a real PostgreSQL with ssl=on and a self-made CA, on loopback: psql (libpq) and the
 * `pg` package connect with that exact string, verifying the server, with a password holding
 * every character a URL reserves.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { Client } from "pg";
import { postgresUrl } from "../components/contract";
import { type PostgresLab, postgresLabAvailable, startPostgresLab } from "./support/postgres-lab";

const PASSWORD = "p@ss:w/rd?x#y%z";

describe("database TLS URL", {
    skip: !postgresLabAvailable() && "Debian PostgreSQL 15 not installed",
}, () => {
    let lab: PostgresLab;
    let url: string;
    before(async () => {
        lab = await startPostgresLab([{ name: "app", password: PASSWORD, database: "app" }]);
        url = postgresUrl({
            host: lab.host,
            port: lab.port,
            name: "app",
            user: "app",
            password: PASSWORD,
            caFile: lab.caFile,
        });
    });
    after(() => lab?.stop());

    it("psql connects with the exact URL, over TLS, verifying the server", () => {
        const r = spawnSync(
            "psql",
            [url, "-XAtc", "select ssl from pg_stat_ssl where pid = pg_backend_pid()"],
            {
                encoding: "utf8",
                env: { PATH: process.env.PATH ?? "" },
            },
        );
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), "t");
    });

    it("node-postgres connects with the exact URL, over TLS, verifying the server", async () => {
        const c = new Client({ connectionString: url });
        await c.connect();
        try {
            const r = await c.query("select ssl, current_user from pg_stat_ssl where pid = pg_backend_pid()");
            assert.deepEqual(r.rows[0], { ssl: true, current_user: "app" });
        } finally {
            await c.end();
        }
    });

    it("sslmode=require without the CA fails in node-postgres (the URL this replaces)", async () => {
        const old = postgresUrl({
            host: lab.host,
            port: lab.port,
            name: "app",
            user: "app",
            password: PASSWORD,
        });
        assert.match(old, /\?sslmode=require$/);
        const c = new Client({ connectionString: old });
        await assert.rejects(
            c.connect(),
            /unable to verify the first certificate|self[- ]signed certificate/,
        );
        await c.end().catch(() => {});
    });

    it("a server whose certificate the CA did not sign is refused by both", async () => {
        // Another CA: the lab's server certificate does not chain to it.
        const other = await startPostgresLab();
        try {
            const wrong = postgresUrl({
                host: lab.host,
                port: lab.port,
                name: "app",
                user: "app",
                password: PASSWORD,
                caFile: other.caFile,
            });
            const r = spawnSync("psql", [wrong, "-XAtc", "select 1"], {
                encoding: "utf8",
                env: { PATH: process.env.PATH ?? "" },
            });
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /certificate verify failed/);
            const c = new Client({ connectionString: wrong });
            await assert.rejects(c.connect(), /self[- ]signed certificate|unable to verify|certificate/);
            await c.end().catch(() => {});
        } finally {
            other.stop();
        }
    });
});
