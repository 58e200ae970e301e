/**
 * What a picture is made of (components, links) and the matchers and label readers the
 * per-target pictures share. Pure: nothing here starts the Pulumi runtime.
 */
import type { RecordedResource } from "../offline/types";

/** What the picture reads from a recorded resource. Inputs are read redacted. */
export type ArchResource = Pick<RecordedResource, "urn" | "type" | "name"> &
    Partial<Pick<RecordedResource, "parent" | "dependencies" | "propertyDependencies" | "inputs">>;

export type Target = "aws" | "gcp" | "vm";

export interface Component {
    id: string;
    /** Resources this component stands for. @default none (only with `external`) */
    match?: (r: ArchResource) => boolean;
    /** The box's text, from the matched resources (empty for an external component). */
    label: (rs: ArchResource[]) => string;
    /** Mermaid shape. @default "box" */
    shape?: "box" | "database" | "actor" | "store";
    /** No resource of its own: drawn when a component it links to is drawn. @default false */
    external?: boolean;
}

export interface Link {
    from: string;
    to: string;
    kind: "request" | "guard";
    /** Text on the arrow. @default none */
    label?: string;
    /** A component both ends must be linked to, when they are not linked directly. @default none */
    via?: string;
    /**
     * When the relation is a value, not a dependency (a probe aimed at a host name): true when the
     * two ends' resources agree on it. Replaces the dependency test. @default none
     */
    agree?: (from: ArchResource[], to: ArchResource[]) => boolean;
}

export interface Picture {
    title: string;
    /** The stack whose graph the picture is drawn from. */
    stack: string;
    components: Component[];
    links: Link[];
}

export interface Architecture {
    /** Mermaid text, ending in a newline. */
    text: string;
    nodes: string[];
    /** Drawn links as `from --> to` (request) or `from -.-> to` (guard). */
    edges: string[];
    /** Resources no component matched (URNs). */
    unplaced: string[];
}

export const typeIs =
    (...types: string[]) =>
    (r: ArchResource) =>
        types.includes(r.type);
export const typeAndName = (type: string, name: RegExp) => (r: ArchResource) =>
    r.type === type && name.test(r.name);
export const any =
    (...ms: ((r: ArchResource) => boolean)[]) =>
    (r: ArchResource) =>
        ms.some((m) => m(r));
export const inputs = (r: ArchResource | undefined): any => r?.inputs ?? {};
export const count = (rs: ArchResource[], type: string) => rs.filter((r) => r.type === type).length;
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const find = (rs: ArchResource[], type: string, name?: RegExp) =>
    rs.find((r) => r.type === type && (!name || name.test(r.name)));
export const ports = (rs: ArchResource[]) =>
    [...new Set(rs.map((r) => inputs(r).port).filter((p) => p !== undefined))].join(", ");
/** A flag's value in a shell command line the VM target runs (`--listen='443'`). */
export const flag = (cmd: unknown, name: string) =>
    typeof cmd === "string" ? new RegExp(`--${name}='([^']*)'`).exec(cmd)?.[1] : undefined;

export const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
export const SG_RULES = [
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
];
