import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { type PostgresLab, postgresLabAvailable, startPostgresLab } from "./support/postgres-lab";

describe("postgres lab", { skip: !postgresLabAvailable() && "Debian PostgreSQL 15 not installed" }, () => {
    let lab: PostgresLab;
    before(async () => {
        lab = await startPostgresLab([{ name: "app", password: "p@ss:/?#%w", database: "app" }]);
    });
    after(() => lab?.stop());

    it("accepts TLS verified against its own CA", () => {
        const r = spawnSync("psql", ["-XAtc", "select ssl from pg_stat_ssl where pid = pg_backend_pid()"], {
            encoding: "utf8",
            env: {
                ...process.env,
                PGHOST: lab.host,
                PGPORT: String(lab.port),
                PGUSER: "app",
                PGDATABASE: "app",
                PGPASSWORD: "p@ss:/?#%w",
                PGSSLMODE: "verify-full",
                PGSSLROOTCERT: lab.caFile,
            },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), "t");
    });

    it("rejects a connection without TLS", () => {
        const r = spawnSync("psql", ["-XAtc", "select 1"], {
            encoding: "utf8",
            env: {
                ...process.env,
                PGHOST: "127.0.0.1",
                PGPORT: String(lab.port),
                PGUSER: "app",
                PGDATABASE: "app",
                PGPASSWORD: "p@ss:/?#%w",
                PGSSLMODE: "disable",
            },
        });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /no encryption|reject/);
    });
});
