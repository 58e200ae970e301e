/**
 * The offline graph as a Mermaid flowchart: `npm run plan -- --stack <name> --mermaid`, and the
 * resource graphs in docs/resource-graphs.md (`npm run diagrams`). Pure: the recorded resources in, text out.
 *
 * - Grouping: every component resource is a `subgraph`, nested as its parent chain nests. A
 *   component is a resource of the program's own package (the project name in the URN, e.g.
 *   `service-deploy:aws:Network`) or any resource that parents another one (another program's
 *   components). A component with no provider resource under it (the ServiceImage of a
 *   prebuilt ref) is left out: Mermaid draws an empty subgraph as a stray box. A top-level
 *   component of a target's module (`aws`, `gcp`, `vm`) is titled with the target (`AWS: ...`).
 * - Nodes: every other resource except providers (`pulumi:providers:*`) and the stack, labelled
 *   `<short type><br/><logical name>`; nothing from inputs or state, so no secret can show.
 * - Ids: the resource's short type and name from its URN, `[A-Za-z0-9_]` only; when two
 *   resources would share one, each gets 8 hex digits of a hash of its URN (minus the stack and
 *   project, so the same resource keeps its id in every stack).
 * - Edges: an arrow points from a resource to one it depends on (`dependencies`, which hold
 *   dependsOn and every property dependency), between nodes only (never to or from a component,
 *   provider or the stack), deduplicated, and transitively reduced: an arrow that a longer path
 *   already implies is left out (an ECS service reaches its target groups through the listener
 *   rules). Every "needs, directly or not" fact stays, and nothing else is dropped: no cap, no
 *   "boundary-crossing arrows only". The committed stacks keep ~100 arrows at most (from ~110),
 *   which Mermaid lays out legibly left to right; a graph big enough to need a cap would not be
 *   legible as one picture anyway. Layout is `LR` because the picture is then tall, not wide:
 *   a README column scales a wide one down to nothing.
 * - Order: nodes by id, then subgraphs by id, then edges by (from, to): the output does not
 *   depend on the order resources were recorded in.
 */
import { createHash } from "node:crypto";
import type { RecordedResource } from "./offline";

/** What the diagram reads from a recorded resource: identity, parent and dependencies, nothing else. */
export type DiagramResource = Pick<RecordedResource, "urn" | "type" | "name"> &
    Partial<Pick<RecordedResource, "parent" | "dependencies" | "propertyDependencies">>;

export interface DiagramInput {
    resources: DiagramResource[];
}

export interface Diagram {
    /** The Mermaid text, ending in a newline. */
    text: string;
    nodes: number;
    subgraphs: number;
    edges: number;
}

/** Titles of the targets, by the module of a top-level component's type. */
const TARGETS: Record<string, string> = { aws: "AWS", gcp: "GCP", vm: "VM" };

/** Packages whose module says enough on its own (`ecs.Service`, `cloudrunv2.Service`). */
const CLOUDS = new Set(["aws", "gcp", "azure", "azure-native"]);

function parseType(type: string): { pkg: string; mod: string; name: string } {
    const parts = type.split(":");
    if (parts.length < 3) return { pkg: parts[0] ?? type, mod: "", name: parts.slice(1).join(":") || type };
    return { pkg: parts[0], mod: parts[1].split("/")[0], name: parts.slice(2).join(":") };
}

/** The project a URN belongs to: `urn:pulumi:<stack>::<project>::...`. */
function projectOf(urn: string): string | undefined {
    return urn.split("::")[1];
}

/**
 * The type as a reader names it: `aws:ecs/service:Service` -> `ecs.Service`,
 * `random:index/randomPassword:RandomPassword` -> `random.RandomPassword`,
 * `command:remote:Command` -> `command remote.Command`, and a component of the program's own
 * package by its class name: `service-deploy:aws:FargateService` -> `FargateService`.
 */
export function shortType(type: string, project?: string): string {
    const { pkg, mod, name } = parseType(type);
    if (pkg === project || !mod) return name;
    if (CLOUDS.has(pkg)) return `${mod}.${name}`;
    if (mod === "index") return `${pkg}.${name}`;
    return `${pkg} ${mod}.${name}`;
}

/** `[A-Za-z0-9_]` only: safe as a Mermaid node or subgraph id. */
export function sanitizeId(s: string): string {
    const id = s.replace(/[^A-Za-z0-9_]/g, "_");
    return /^[A-Za-z]/.test(id) ? id : `r_${id}`;
}

/** Label text inside `["..."]`: characters Mermaid could read as syntax become entity codes. */
export function labelText(s: string): string {
    return s.replace(/[^A-Za-z0-9 _.:/@,+=()-]/gu, (c) => `#${c.codePointAt(0)};`);
}

function isSkipped(type: string): boolean {
    return type.startsWith("pulumi:providers:") || type === "pulumi:pulumi:Stack";
}

/** The URN without `urn:pulumi:<stack>::<project>::`: the same resource in every stack. */
function urnTail(urn: string): string {
    return urn.split("::").slice(2).join("::");
}

/** Drop every edge a -> c that another path a -> ... -> c already implies. */
function transitiveReduction(edges: Map<string, Set<string>>): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const [from, tos] of edges) {
        const kept = new Set<string>();
        for (const to of tos) {
            // Is `to` reachable from `from` without the direct edge?
            const seen = new Set<string>([from]);
            const stack = [...tos].filter((t) => t !== to);
            let implied = false;
            while (stack.length > 0 && !implied) {
                const cur = stack.pop()!;
                if (cur === to) implied = true;
                else if (!seen.has(cur)) {
                    seen.add(cur);
                    for (const next of edges.get(cur) ?? []) stack.push(next);
                }
            }
            if (!implied) kept.add(to);
        }
        out.set(from, kept);
    }
    return out;
}

/** The diagram's text: an `OfflineResult` or its resources in, Mermaid out (no fence). */
export function renderMermaid(input: DiagramInput | DiagramResource[]): string {
    return diagramOf(input).text;
}

/** The diagram with its counts. */
export function diagramOf(input: DiagramInput | DiagramResource[]): Diagram {
    // One record per URN (the first), providers and the stack left out.
    const byUrn = new Map<string, DiagramResource>();
    for (const r of Array.isArray(input) ? input : input.resources)
        if (!isSkipped(r.type) && !byUrn.has(r.urn)) byUrn.set(r.urn, r);
    const resources = [...byUrn.values()];
    const parentOf = (r: DiagramResource) => (r.parent && byUrn.has(r.parent) ? r.parent : undefined);
    const hasChildren = new Set(resources.map(parentOf).filter((p): p is string => !!p));
    const isComponent = (r: DiagramResource) =>
        hasChildren.has(r.urn) || parseType(r.type).pkg === projectOf(r.urn);

    // Ids from type and name; a hash of the URN where two would collide.
    const base = new Map(
        resources.map((r) => [r.urn, sanitizeId(`${shortType(r.type, projectOf(r.urn))}__${r.name}`)]),
    );
    const count = new Map<string, number>();
    for (const b of base.values()) count.set(b, (count.get(b) ?? 0) + 1);
    const idOf = new Map<string, string>();
    for (const [urn, b] of base)
        idOf.set(
            urn,
            count.get(b)! > 1
                ? `${b}_${createHash("sha256").update(urnTail(urn)).digest("hex").slice(0, 8)}`
                : b,
        );

    const nodes = resources.filter((r) => !isComponent(r));
    const nodeUrns = new Set(nodes.map((r) => r.urn));
    // Children by nearest component ancestor (undefined: top level).
    const ancestor = (r: DiagramResource): string | undefined => {
        for (let p = parentOf(r); p; p = parentOf(byUrn.get(p)!)) if (isComponent(byUrn.get(p)!)) return p;
        return undefined;
    };
    const nodesIn = new Map<string | undefined, DiagramResource[]>();
    const groupsIn = new Map<string | undefined, DiagramResource[]>();
    for (const r of resources) {
        const into = isComponent(r) ? groupsIn : nodesIn;
        const a = ancestor(r);
        into.set(a, [...(into.get(a) ?? []), r]);
    }
    const byId = (a: DiagramResource, b: DiagramResource) =>
        idOf.get(a.urn)! < idOf.get(b.urn)! ? -1 : idOf.get(a.urn)! > idOf.get(b.urn)! ? 1 : 0;
    const holdsNodes = new Map<string, boolean>();
    const nonEmpty = (g: DiagramResource): boolean => {
        if (!holdsNodes.has(g.urn)) {
            holdsNodes.set(g.urn, false); // a cycle of parents (hand-built input) holds nothing more
            holdsNodes.set(
                g.urn,
                (nodesIn.get(g.urn) ?? []).length > 0 || (groupsIn.get(g.urn) ?? []).some(nonEmpty),
            );
        }
        return holdsNodes.get(g.urn)!;
    };

    const lines = ["flowchart LR"];
    let subgraphs = 0;
    const emit = (container: string | undefined, depth: number) => {
        const pad = "    ".repeat(depth);
        for (const r of [...(nodesIn.get(container) ?? [])].sort(byId)) {
            lines.push(
                `${pad}${idOf.get(r.urn)}["${labelText(shortType(r.type, projectOf(r.urn)))}<br/>${labelText(r.name)}"]`,
            );
        }
        for (const g of [...(groupsIn.get(container) ?? [])].filter(nonEmpty).sort(byId)) {
            const title = `${shortType(g.type, projectOf(g.urn))} ${g.name}`;
            const target =
                container === undefined && parseType(g.type).pkg === projectOf(g.urn)
                    ? TARGETS[parseType(g.type).mod]
                    : undefined;
            lines.push(
                `${pad}subgraph ${idOf.get(g.urn)}["${labelText(target ? `${target}: ${title}` : title)}"]`,
            );
            subgraphs++;
            emit(g.urn, depth + 1);
            lines.push(`${pad}end`);
        }
    };
    emit(undefined, 1);

    const edges = new Map<string, Set<string>>();
    for (const r of nodes) {
        const deps = new Set([
            ...(r.dependencies ?? []),
            ...Object.values(r.propertyDependencies ?? {}).flat(),
        ]);
        const to = [...deps].filter((d) => d !== r.urn && nodeUrns.has(d)).map((d) => idOf.get(d)!);
        edges.set(idOf.get(r.urn)!, new Set(to));
    }
    const kept = [...transitiveReduction(edges)].flatMap(([from, tos]) =>
        [...tos].map((to) => [from, to] as const),
    );
    kept.sort(([a, b], [c, d]) => (a < c ? -1 : a > c ? 1 : b < d ? -1 : b > d ? 1 : 0));
    for (const [from, to] of kept) lines.push(`    ${from} --> ${to}`);
    return { text: `${lines.join("\n")}\n`, nodes: nodes.length, subgraphs, edges: kept.length };
}
