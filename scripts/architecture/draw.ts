/**
 * Drawing a picture from a graph: each component's resources, the links the graph backs, the
 * Mermaid text. Pure.
 */
import type { RecordedResource } from "../offline/types";
import type { ArchResource, Architecture, Component, Link, Picture } from "./model";

/** Providers, the stack and the program's own components draw nothing of their own. */
function isDrawable(r: ArchResource, parents: Set<string>): boolean {
    if (r.type.startsWith("pulumi:")) return false;
    const pkg = r.type.split(":")[0];
    const project = r.urn.split("::")[1];
    return pkg !== project && !parents.has(r.urn);
}

function mermaidNode(c: Component, label: string): string {
    const text = label.replace(/"/g, "#quot;");
    switch (c.shape) {
        case "database":
            return `${c.id}[("${text}")]`;
        case "actor":
            return `${c.id}(["${text}"])`;
        case "store":
            return `${c.id}[/"${text}"/]`;
        default:
            return `${c.id}["${text}"]`;
    }
}

/** The picture of `target` drawn from a graph's resources. Pure. */
export function architectureOf(resources: ArchResource[], picture: Picture): Architecture {
    const parents = new Set(resources.map((r) => r.parent).filter((p): p is string => !!p));
    const drawable = resources.filter((r) => isDrawable(r, parents));
    const members = new Map<string, ArchResource[]>();
    for (const c of picture.components)
        if (c.match)
            members.set(
                c.id,
                drawable.filter(c.match).sort((a, b) => (a.urn < b.urn ? -1 : 1)),
            );
    const unplaced = drawable.filter((r) => !picture.components.some((c) => c.match?.(r))).map((r) => r.urn);

    const deps = new Map(
        drawable.map((r) => [
            r.urn,
            new Set([...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()]),
        ]),
    );
    const present = (id: string) => (members.get(id) ?? []).length > 0;
    const linked = (a: string, b: string): boolean => {
        const as = members.get(a) ?? [];
        const bs = members.get(b) ?? [];
        const bUrns = new Set(bs.map((r) => r.urn));
        return (
            as.some((x) => bUrns.has(x.urn) || [...(deps.get(x.urn) ?? [])].some((d) => bUrns.has(d))) ||
            bs.some((y) => [...(deps.get(y.urn) ?? [])].some((d) => as.some((x) => x.urn === d)))
        );
    };
    const external = new Set(picture.components.filter((c) => c.external).map((c) => c.id));
    const backed = (l: Link): boolean => {
        if (external.has(l.from)) return present(l.to);
        if (external.has(l.to)) return present(l.from);
        if (!present(l.from) || !present(l.to)) return false;
        if (l.agree) return l.agree(members.get(l.from)!, members.get(l.to)!);
        if (linked(l.from, l.to)) return true;
        return !!l.via && present(l.via) && linked(l.from, l.via) && linked(l.via, l.to);
    };
    const drawn = picture.links.filter(backed);
    const shown = new Set(drawn.flatMap((l) => [l.from, l.to]));
    for (const c of picture.components) if (!c.external && present(c.id)) shown.add(c.id);

    const lines = ["flowchart TB"];
    const nodes: string[] = [];
    for (const c of picture.components) {
        if (!shown.has(c.id)) continue;
        nodes.push(c.id);
        lines.push(`    ${mermaidNode(c, c.label(members.get(c.id) ?? []))}`);
    }
    const edges: string[] = [];
    for (const l of drawn) {
        const arrow = l.kind === "request" ? "-->" : "-.->";
        edges.push(`${l.from} ${arrow} ${l.to}`);
        lines.push(`    ${l.from} ${arrow}${l.label ? `|"${l.label}"|` : ""} ${l.to}`);
    }
    return { text: `${lines.join("\n")}\n`, nodes, edges, unplaced };
}

/** What the picture reads of an offline run: identity, parents, dependencies and redacted inputs. */
export function graphOf(result: { resources: RecordedResource[] }, redact: (v: unknown) => unknown) {
    return result.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
        inputs: redact(r.inputs) as Record<string, unknown>,
    }));
}
