/**
 * `pulumi preview --policy-pack policies` on a laptop: the CLI's nodejs host runs
 * @pulumi/pulumi/cmd/run-policy-pack in the pack's directory, which loads index.ts through ts-node
 * (type-checked) and serves the analyzer over gRPC. This starts exactly that process from the one
 * `npm ci` install (npm workspaces: the pack has no node_modules of its own), and talks to it the
 * way the engine does: GetAnalyzerInfo, Configure, Analyze.
 */
import { test, after } from "node:test";
import { cite } from "../components/failures";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
const structproto = require(
    require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }),
);
const emptyproto = require(
    require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [pulumiDir] }),
);
const analyzerproto = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");

let child: ChildProcess | undefined;
after(() => child?.kill());

function startPack(): Promise<number> {
    return new Promise((resolve, reject) => {
        child = spawn(
            process.execPath,
            [path.join(pulumiDir, "cmd", "run-policy-pack"), "127.0.0.1:1", "."],
            { cwd: path.join(ROOT, "policies"), env: { ...process.env, NODE_OPTIONS: "" } },
        );
        let out = "",
            err = "";
        child.stdout!.on("data", (d) => {
            out += d;
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) resolve(Number(m[1]));
        });
        child.stderr!.on("data", (d) => (err += d));
        child.on("exit", (code) => reject(new Error(`the pack exited ${code} before serving: ${err}`)));
        setTimeout(() => reject(new Error(`the pack did not serve within 90 s: ${err}`)), 90_000).unref();
    });
}

const call = <T>(client: any, method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) =>
        client[method](req, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))),
    );

test("the pack loads under the CLI's policy-pack host and serves every policy, mandatory by default", async () => {
    const port = await startPack();
    const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const info: any = await call(client, "getAnalyzerInfo", new emptyproto.Empty());
    assert.equal(info.getName(), "service-deploy");
    const served = info
        .getPoliciesList()
        .map((p: any) => [p.getName(), p.getEnforcementlevel()])
        .sort();
    assert.equal(served.length, 11);
    for (const [, level] of served) assert.equal(level, analyzerproto.EnforcementLevel.MANDATORY);

    // Configure as the CLI does with --policy-pack-config (every policy gets its level), then analyze one resource.
    const configure = new analyzerproto.ConfigureAnalyzerRequest();
    for (const [name] of served) {
        const pc = new analyzerproto.PolicyConfig();
        pc.setEnforcementlevel(analyzerproto.EnforcementLevel.MANDATORY);
        pc.setProperties(
            structproto.Struct.fromJavaScript(name === "production-database" ? { production: true } : {}),
        );
        configure.getPolicyconfigMap().set(name, pc);
    }
    await call(client, "configure", configure);

    const req = new analyzerproto.AnalyzeRequest();
    req.setType("aws:rds/instance:Instance");
    req.setName("db");
    req.setUrn("urn:pulumi:production::service-deploy::aws:rds/instance:Instance::db");
    req.setProperties(
        structproto.Struct.fromJavaScript({
            engine: "postgres",
            multiAz: false,
            backupRetentionPeriod: 14,
            deletionProtection: true,
            storageEncrypted: true,
            publiclyAccessible: false,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: "f",
        }),
    );
    req.setOptions(new analyzerproto.AnalyzerResourceOptions());
    const res: any = await call(client, "analyze", req);
    const diags = res
        .getDiagnosticsList()
        .map((d: any) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage()]);
    assert.deepEqual(diags, [
        [
            "production-database",
            analyzerproto.EnforcementLevel.MANDATORY,
            `Production databases are highly available, backed up with point-in-time recovery, protected from deletion, encrypted, private and TLS-only.\n${cite("SD-011", 'RDS instance "db": multiAz is not true: one AZ outage takes production down.')}`,
        ],
    ]);
    client.close();
});
