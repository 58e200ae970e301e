/**
 * docs/architecture.md's pictures: drawn from each target's real offline graph (a child process
 * per stack, as `npm run diagrams` draws them), small enough to read, with arrows that follow the
 * request, changing when the graph changes, equal to what the document holds, and rendered by
 * Mermaid in headless Chromium without a syntax error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { type ArchResource, architectureOf, PICTURES, type Target } from "../scripts/architecture";
import {
    ARCHITECTURE,
    ARCHITECTURE_SECTION,
    architectureHeadings,
    embed,
    embeddedDiagram,
} from "../scripts/readme-diagrams";
import { mermaidBlocks, renderInChromium } from "../scripts/render-mermaid";

const ROOT = path.resolve(__dirname, "..");
const TARGETS = Object.keys(PICTURES) as Target[];

function graphOfStack(target: Target): Promise<ArchResource[]> {
    return new Promise((resolve, reject) => {
        const p = spawn(
            process.execPath,
            [
                "--require",
                path.join(ROOT, "scripts", "register.js"),
                "scripts/architecture.ts",
                target,
                "--graph",
            ],
            { cwd: ROOT },
        );
        let out = "",
            err = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (err += d));
        p.on("error", reject);
        p.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(err))));
    });
}

const graphs = Promise.all(TARGETS.map(graphOfStack)).then(
    (gs) => Object.fromEntries(TARGETS.map((t, i) => [t, gs[i]])) as Record<Target, ArchResource[]>,
);
const copy = (g: ArchResource[]): ArchResource[] => JSON.parse(JSON.stringify(g));
const byName = (g: ArchResource[], type: string, name: string) => {
    const r = g.find((x) => x.type === type && x.name === name);
    assert.ok(r, `${type} ${name} in the graph`);
    return r;
};
const requestEdges = (edges: string[]) => edges.filter((e) => e.includes(" --> "));

/** Every component on some solid path from the user, and the path reaches `to`. */
function requestPath(edges: string[], from: string, to: string): string[] | undefined {
    const next = new Map<string, string[]>();
    for (const e of requestEdges(edges)) {
        const [a, b] = e.split(" --> ");
        next.set(a, [...(next.get(a) ?? []), b]);
    }
    const walk = (at: string, seen: string[]): string[] | undefined => {
        if (at === to) return [...seen, at];
        for (const n of next.get(at) ?? []) if (!seen.includes(n)) return walk(n, [...seen, at]);
        return undefined;
    };
    return walk(from, []);
}

test("each target's picture has at most 25 components and places every resource of its stack", async () => {
    const g = await graphs;
    for (const t of TARGETS) {
        const a = architectureOf(g[t], PICTURES[t]);
        assert.ok(a.nodes.length <= 25, `${t}: ${a.nodes.length} nodes`);
        assert.ok(a.nodes.length >= 8, `${t}: ${a.nodes.length} nodes`);
        assert.deepEqual(a.unplaced, [], `${t}: resources no component stands for`);
    }
});

test("the AWS picture follows a request: user, ALB, :443, production rule, blue and green, tasks, RDS", async () => {
    const a = architectureOf((await graphs).aws, PICTURES.aws);
    assert.deepEqual(requestEdges(a.edges), [
        "user --> alb",
        "alb --> https",
        "https --> prodRule",
        "prodRule --> blue",
        "prodRule --> green",
        "blue --> tasks",
        "green --> tasks",
        "tasks --> db",
    ]);
    for (const guard of [
        "alb -.-> testListener",
        "testListener -.-> testRule",
        "testRule -.-> blue",
        "testRule -.-> green",
        "secret -.-> execRole",
        "execRole -.-> tasks",
        "rollbackAlarms -.-> tasks",
        "topic -.-> destinations",
    ])
        assert.ok(a.edges.includes(guard), `${guard} in ${a.edges.join(", ")}`);
    assert.match(a.text, /listener :443 HTTPS/);
    assert.match(a.text, /test listener :8443/);
    assert.match(a.text, /Multi-AZ, deletion protection, 14-day backups/);
});

test("the GCP and VM pictures lead from the user to the database on solid arrows", async () => {
    const g = await graphs;
    assert.deepEqual(requestPath(architectureOf(g.gcp, PICTURES.gcp).edges, "user", "db"), [
        "user",
        "invoker",
        "run",
        "db",
    ]);
    const vm = architectureOf(g.vm, PICTURES.vm);
    assert.deepEqual(requestPath(vm.edges, "user", "db"), ["user", "nginx", "containers", "db"]);
    assert.ok(vm.edges.includes("uptime -.-> nginx"), "the health check probes the host nginx serves");
});

test("the picture changes with the graph: a dropped dependency, a removed resource, a changed input, a new resource", async () => {
    const real = (await graphs).aws;
    const before = architectureOf(real, PICTURES.aws);

    const noGreen = copy(real);
    const rule = byName(noGreen, "aws:lb/listenerRule:ListenerRule", "aws-api-production");
    const green = byName(noGreen, "aws:lb/targetGroup:TargetGroup", "aws-api-green");
    rule.dependencies = rule.dependencies!.filter((d) => d !== green.urn);
    rule.propertyDependencies = {};
    const a = architectureOf(noGreen, PICTURES.aws);
    assert.ok(!a.edges.includes("prodRule --> green"));
    assert.ok(a.edges.includes("prodRule --> blue"));

    const noTest = copy(real).filter((r) => r.name !== "aws-api-test" && r.name !== "aws-api-test-rule");
    const b = architectureOf(noTest, PICTURES.aws);
    assert.ok(!b.nodes.includes("testListener") && !b.nodes.includes("testRule"));
    assert.equal(b.nodes.length, before.nodes.length - 2);

    const singleAz = copy(real);
    (byName(singleAz, "aws:rds/instance:Instance", "aws-pg-db").inputs as any).multiAz = false;
    assert.match(architectureOf(singleAz, PICTURES.aws).text, /RDS PostgreSQL 16<br\/>single-AZ/);

    const extra = copy(real);
    extra.push({ ...byName(extra, "aws:ecs/cluster:Cluster", "aws-cluster"), type: "aws:s3/bucket:Bucket" });
    assert.equal(architectureOf(extra, PICTURES.aws).unplaced.length, 1);
    assert.equal(architectureOf(real, PICTURES.aws).text, before.text, "pure: the same graph, the same text");
});

test("docs/architecture.md holds each target's picture as its stack draws it today", async () => {
    const g = await graphs;
    const doc = fs.readFileSync(ARCHITECTURE, "utf8");
    const stale = TARGETS.filter((t) => embeddedDiagram(doc, t) !== architectureOf(g[t], PICTURES[t]).text);
    assert.deepEqual(stale, [], `out of date: ${stale.join(", ")}; run: npm run diagrams`);
    const where = {
        file: "docs/architecture.md",
        section: ARCHITECTURE_SECTION,
        headings: architectureHeadings(),
    };
    const fresh = Object.fromEntries(TARGETS.map((t) => [t, architectureOf(g[t], PICTURES[t]).text]));
    assert.deepEqual(embed(doc, fresh, where), { text: doc, stale: [] });
    assert.match(doc, /### AWS \(drawn from stack `production`\)/);
});

test("Mermaid in headless Chromium renders every picture of docs/architecture.md with legible text, and rejects a broken one", async () => {
    const blocks = mermaidBlocks(fs.readFileSync(ARCHITECTURE, "utf8"));
    assert.equal(blocks.length, TARGETS.length);
    // A broken copy of the real AWS picture: one node's closing bracket removed.
    const broken = blocks[0].replace(/^(\s+prodRule\["production rule")\]$/m, "$1");
    assert.notEqual(broken, blocks[0], "the AWS picture has the line the broken copy changes");
    const results = await renderInChromium([...blocks, broken]);
    for (const [i, r] of results.slice(0, -1).entries()) {
        assert.equal(r.ok, true, `${TARGETS[i]}: ${r.error}`);
        assert.ok(r.textPx! >= 10, `${TARGETS[i]}: text is ${r.textPx} px in an 832 px column`);
    }
    const last = results.at(-1)!;
    assert.equal(last.ok, false);
    assert.match(last.error!, /Parse error on line \d+/);
});

test("a link is drawn only when the graph backs it: a dependency either way, a shared resource, a bridge, an agreed value", () => {
    const r = (name: string, deps: string[] = [], inputs: Record<string, unknown> = {}): ArchResource => ({
        urn: `urn:pulumi:s::p::t:m:T::${name}`,
        type: "t:m:T",
        name,
        dependencies: deps.map((d) => `urn:pulumi:s::p::t:m:T::${d}`),
        inputs,
    });
    const only = (n: string) => (x: ArchResource) => x.name === n;
    const picture = {
        title: "T",
        stack: "s",
        components: [
            { id: "user", label: () => "User", external: true },
            { id: "a", match: only("a"), label: () => "a" },
            { id: "b", match: only("b"), label: () => "b" },
            { id: "c", match: (x: ArchResource) => x.name === "c" || x.name === "a", label: () => "c" },
            { id: "d", match: only("d"), label: () => "d" },
            { id: "e", match: only("e"), label: () => "e" },
            { id: "gone", match: only("gone"), label: () => "gone" },
        ],
        links: [
            { from: "user", to: "a", kind: "request" as const },
            { from: "user", to: "gone", kind: "request" as const },
            { from: "a", to: "b", kind: "request" as const },
            { from: "b", to: "a", kind: "guard" as const },
            { from: "a", to: "c", kind: "guard" as const },
            { from: "b", to: "d", kind: "guard" as const, via: "e" },
            { from: "d", to: "b", kind: "guard" as const },
            {
                from: "e",
                to: "d",
                kind: "guard" as const,
                agree: (es: ArchResource[], ds: ArchResource[]) =>
                    (es[0].inputs as any).host === (ds[0].inputs as any).host,
            },
        ],
    };
    // b depends on a (drawn both ways); a and c share a resource; b and d both depend on e.
    const graph = [
        r("a"),
        r("b", ["a", "e"]),
        r("c"),
        r("d", ["e"], { host: "h" }),
        r("e", [], { host: "h" }),
    ];
    const got = architectureOf(graph, picture);
    assert.deepEqual(got.edges, ["user --> a", "a --> b", "b -.-> a", "a -.-> c", "b -.-> d", "e -.-> d"]);
    assert.deepEqual(got.nodes, ["user", "a", "b", "c", "d", "e"]);
    (graph[4].inputs as any).host = "other";
    assert.ok(!architectureOf(graph, picture).edges.includes("e -.-> d"), "the values disagree");
    assert.ok(!architectureOf(graph.slice(0, 4), picture).edges.includes("b -.-> d"), "no bridge");
});
