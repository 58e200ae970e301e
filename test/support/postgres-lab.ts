/**
 * A throwaway Debian PostgreSQL on 127.0.0.1 with `ssl=on` and a self-made CA, for tests that
 * connect with the exact database URL a stack builds (psql, the `pg` package, any driver).
 *
 * - The CA and the server certificate (CN and SAN `localhost`, SAN IP 127.0.0.1) are made with
 *   openssl in a temp dir; `caFile` is the CA bundle a client verifies against, as the RDS
 *   bundle is on AWS.
 * - pg_hba accepts TCP only over TLS (`hostssl`, scram-sha-256); plain TCP is rejected, so a
 *   client that silently falls back to no TLS fails.
 * - initdb refuses root, so everything runs as user `postgres` (runuser). The port is free and
 *   random; `stop()` stops the server and removes the temp dir.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface LabUser {
    name: string;
    password: string;
    /** A database owned by the user, created with it. @default none */
    database?: string;
}

export interface PostgresLab {
    /** Host name the server certificate is valid for. */
    host: "localhost";
    port: number;
    /** The CA bundle (PEM) that signed the server certificate. */
    caFile: string;
    caPem: string;
    dir: string;
    /** Create a login role (password may hold any character) and optionally its database. */
    addUser(user: LabUser): void;
    /** Run SQL as the superuser over the local socket; returns psql's unaligned output. */
    sql(statement: string, database?: string): string;
    stop(): void;
}

/** Whether this machine can run the lab (Debian's PostgreSQL 15 and openssl present). */
export function postgresLabAvailable(): boolean {
    return fs.existsSync(path.join(PG_BIN, "initdb")) && spawnSync("openssl", ["version"]).status === 0;
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

function asPostgres(cmd: string, args: string[], input?: string): string {
    const r = spawnSync("runuser", ["-u", "postgres", "--", cmd, ...args], { input, encoding: "utf8" });
    if (r.status !== 0)
        throw new Error(
            `${path.basename(cmd)} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`,
        );
    return r.stdout;
}

function makeCerts(dir: string): void {
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=service-deploy test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    );
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    );
    fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    );
}

/** Start the lab. Call `stop()` in an `after` hook. */
export async function startPostgresLab(users: LabUser[] = []): Promise<PostgresLab> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sd-pglab-"));
    fs.chmodSync(dir, 0o755);
    makeCerts(dir);
    const data = path.join(dir, "data");
    fs.mkdirSync(data, { mode: 0o700 });
    for (const f of ["server.key", "server.crt", "ca.crt"]) fs.chmodSync(path.join(dir, f), 0o600);
    fs.chmodSync(path.join(dir, "ca.crt"), 0o644);
    execFileSync("chown", ["-R", "postgres:postgres", dir]);
    asPostgres(path.join(PG_BIN, "initdb"), [
        "-D",
        data,
        "-U",
        "postgres",
        "--auth-local=trust",
        "-E",
        "UTF8",
    ]);
    const port = await freePort();
    fs.appendFileSync(
        path.join(data, "postgresql.conf"),
        [
            "listen_addresses = '127.0.0.1'",
            `port = ${port}`,
            `unix_socket_directories = '${dir}'`,
            "ssl = on",
            `ssl_cert_file = '${path.join(dir, "server.crt")}'`,
            `ssl_key_file = '${path.join(dir, "server.key")}'`,
            "password_encryption = 'scram-sha-256'",
            "",
        ].join("\n"),
    );
    fs.writeFileSync(
        path.join(data, "pg_hba.conf"),
        [
            "local all all trust",
            "hostssl all all 127.0.0.1/32 scram-sha-256",
            "hostnossl all all 127.0.0.1/32 reject",
            "",
        ].join("\n"),
    );
    execFileSync("chown", ["postgres:postgres", path.join(data, "pg_hba.conf")]);
    asPostgres(path.join(PG_BIN, "pg_ctl"), ["-D", data, "-l", path.join(dir, "server.log"), "-w", "start"]);

    const sql = (statement: string, database = "postgres"): string =>
        asPostgres(
            "psql",
            [
                "-h",
                dir,
                "-p",
                String(port),
                "-U",
                "postgres",
                "-d",
                database,
                "-XAtq",
                "-v",
                "ON_ERROR_STOP=1",
            ],
            statement,
        );
    const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const lab: PostgresLab = {
        host: "localhost",
        port,
        caFile: path.join(dir, "ca.crt"),
        caPem: fs.readFileSync(path.join(dir, "ca.crt"), "utf8"),
        dir,
        addUser(user) {
            sql(`CREATE ROLE ${quoteIdent(user.name)} LOGIN PASSWORD ${quoteLiteral(user.password)};`);
            if (user.database)
                sql(`CREATE DATABASE ${quoteIdent(user.database)} OWNER ${quoteIdent(user.name)};`);
        },
        sql,
        stop() {
            spawnSync("runuser", [
                "-u",
                "postgres",
                "--",
                path.join(PG_BIN, "pg_ctl"),
                "-D",
                data,
                "-m",
                "fast",
                "-w",
                "stop",
            ]);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
    try {
        for (const u of users) lab.addUser(u);
    } catch (e) {
        lab.stop();
        throw e;
    }
    return lab;
}
