/**
 * Promotion's decisions, pure: which digests go from a staging stack into a production stack file,
 * and every reason to refuse. scripts/promote.ts is the thin CLI around it (reading outputs,
 * `git status`, the plans, writing the file).
 */
import { z } from "zod";
import { parseDocument } from "yaml";
import { DIGEST_REF, REVISION } from "../components/config";

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** A pinned reference (the stack schema's DIGEST_REF) as the name before the `@` and the digest. */
function pinned(ref: string | undefined): { name: string; digest: string } | undefined {
    const digest = DIGEST_REF.exec(ref ?? "")?.groups?.digest;
    return digest ? { name: ref!.slice(0, ref!.lastIndexOf("@")), digest } : undefined;
}

/** Something the user passed or pointed at is wrong (exit 2): names the key, file or value. */
export class PromotionInputError extends Error {}

const deployedSchema = z.object({ digest: z.string(), healthy: z.boolean(), evidence: z.string() });
const serviceOutputSchema = z.object({
    target: z.string(),
    image: z.string(),
    digest: z.string(),
    deployed: deployedSchema,
});

export interface StagingService {
    name: string;
    target: string;
    image: string;
    digest: string;
    deployed: z.infer<typeof deployedSchema>;
}

/**
 * The `services` output of a stack of this project, from `pulumi stack output --json`: an object
 * keyed by service name, or a clear error naming what is wrong with it. Pure.
 */
function servicesOutput(doc: unknown, source: string): Record<string, unknown> {
    if (!doc || typeof doc !== "object" || Array.isArray(doc))
        throw new PromotionInputError(
            `${source}: expected the JSON object of \`pulumi stack output --json\``,
        );
    const services = (doc as Record<string, unknown>).services;
    if (services === undefined)
        throw new PromotionInputError(
            `${source}: missing output "services" (is this a stack of this project, deployed at least once?)`,
        );
    if (services === "[secret]")
        throw new PromotionInputError(
            `${source}: output "services" is a secret; it carries no secret value and must be exported in plain text`,
        );
    if (!services || typeof services !== "object" || Array.isArray(services))
        throw new PromotionInputError(`${source}: output "services" must be an object keyed by service name`);
    return services as Record<string, unknown>;
}

/**
 * The staging stack's outputs as `pulumi stack output --json` prints them. Every missing or
 * malformed output is named with its path. Pure.
 */
export function parseStagingOutputs(doc: unknown, source: string): StagingService[] {
    const services = servicesOutput(doc, source);
    const problems: string[] = [];
    const out: StagingService[] = [];
    for (const [name, raw] of Object.entries(services)) {
        const parsed = serviceOutputSchema.safeParse(raw);
        if (!parsed.success) {
            for (const issue of parsed.error.issues) {
                const at = ["services", name, ...issue.path.map(String)].join(".");
                problems.push(
                    issue.code === "invalid_type" && issue.input === undefined
                        ? `missing output ${at}`
                        : `output ${at}: ${issue.message}`,
                );
            }
            continue;
        }
        const s = parsed.data;
        if (!pinned(s.image))
            problems.push(
                `output services.${name}.image is "${s.image}": not pinned by digest (<repo>@sha256:<64 hex>)`,
            );
        if (!DIGEST_RE.test(s.digest))
            problems.push(`output services.${name}.digest is "${s.digest}": not a sha256: digest`);
        out.push({ name, ...s });
    }
    if (problems.length > 0) throw new PromotionInputError(`${source}:\n  ${problems.join("\n  ")}`);
    if (out.length === 0) throw new PromotionInputError(`${source}: output "services" is empty`);
    return out;
}

export interface TargetService {
    /** Index in `service-deploy:services`. */
    index: number;
    name: string;
    /** `aws`, `gcp` or `vm`. */
    target: string;
    /** Cloud Run only: `cloudRun.traffic.previous`, the revision kept addressable for rollback. */
    previous?: string;
    /** The pinned reference, or undefined when the service builds (production must not). */
    ref?: string;
    builds: boolean;
}

/** The services of a stack file and their image references, from its text. Pure. */
export function targetServices(text: string, file: string): TargetService[] {
    const doc = parseDocument(text);
    if (doc.errors.length > 0)
        throw new PromotionInputError(`${file}: not valid YAML (${doc.errors[0].message})`);
    const services = doc.getIn(["config", "service-deploy:services"], false) as
        | { toJSON(): unknown }
        | undefined;
    const list = services?.toJSON?.();
    if (!Array.isArray(list)) throw new PromotionInputError(`${file}: no service-deploy:services list`);
    return list.map((s: any, index: number) => {
        if (!s || typeof s.name !== "string")
            throw new PromotionInputError(`${file}: service-deploy:services[${index}].name is missing`);
        const ref = typeof s.image?.ref === "string" ? s.image.ref : undefined;
        const previous =
            typeof s.cloudRun?.traffic?.previous === "string" ? s.cloudRun.traffic.previous : undefined;
        return {
            index,
            name: s.name,
            target: String(s.target ?? ""),
            ref,
            builds: s.image?.build !== undefined,
            ...(previous ? { previous } : {}),
        };
    });
}

export interface Change {
    service: string;
    index: number;
    from: string;
    to: string;
    /** Set when the target's repository differs from staging's: the digest must be copied there. */
    copyFrom?: string;
    /**
     * Cloud Run only: `cloudRun.traffic.previous` moves to the revision the target serves now, so
     * that a rollback (`percent: 0`) returns to what ran before this promotion, not to the one
     * before that. Set by `withPrevious`.
     */
    previous?: { from?: string; to: string };
}

export type Decision =
    | { kind: "promote"; changes: Change[]; unchanged: string[] }
    | { kind: "refuse"; reasons: string[] };

/**
 * What to write, or why not. Staging must report each service healthy on the digest it claims;
 * the target keeps its own repository and takes staging's digest (a digest is a content address:
 * the same digest in another repository is the same image). Pure.
 */
export function decide(a: {
    from: string;
    to: string;
    staging: StagingService[];
    target: TargetService[];
}): Decision {
    const reasons: string[] = [];
    const changes: Change[] = [];
    const unchanged: string[] = [];
    const byName = new Map(a.staging.map((s) => [s.name, s]));
    for (const t of a.target) {
        if (t.builds) {
            reasons.push(
                `${a.to}: service ${t.name} builds its image; a production stack runs the digest staging ran (policy production-builds-nothing). Replace image.build with image.ref`,
            );
            continue;
        }
        const s = byName.get(t.name);
        if (!s) {
            reasons.push(
                `${a.from} has no service ${t.name}: there is nothing staging ran to promote for it`,
            );
            continue;
        }
        if (!s.deployed.healthy) {
            reasons.push(
                `${a.from} is not healthy: service ${t.name} on ${s.target}: ${s.deployed.evidence}`,
            );
            continue;
        }
        if (s.deployed.digest !== s.digest) {
            reasons.push(
                `${a.from} is not running the digest it claims: service ${t.name} claims ${s.digest}, ${s.target} reports ${s.deployed.digest || "none"} (${s.deployed.evidence})`,
            );
            continue;
        }
        const current = pinned(t.ref);
        if (!current) {
            reasons.push(
                `${a.to}: service ${t.name}'s image.ref "${t.ref ?? ""}" is not pinned by digest; promotion rewrites a digest, it does not invent a repository`,
            );
            continue;
        }
        const stagingRepo = pinned(s.image)!.name;
        if (current.digest === s.digest) {
            unchanged.push(t.name);
            continue;
        }
        changes.push({
            service: t.name,
            index: t.index,
            from: t.ref!,
            to: `${current.name}@${s.digest}`,
            copyFrom: stagingRepo !== current.name ? s.image : undefined,
        });
    }
    return reasons.length > 0 ? { kind: "refuse", reasons } : { kind: "promote", changes, unchanged };
}

/**
 * The revision each named service of the target stack serves now: its `servingRevision` output
 * (`pulumi stack output --json --stack <to>`). Every missing or malformed one is named. Pure.
 */
export function parseServingRevisions(doc: unknown, source: string, names: string[]): Map<string, string> {
    const services = servicesOutput(doc, source) as Record<string, { servingRevision?: unknown } | undefined>;
    const problems: string[] = [];
    const out = new Map<string, string>();
    for (const name of names) {
        const rev = services[name]?.servingRevision;
        if (rev === undefined)
            problems.push(`missing output services.${name}.servingRevision (has the stack been deployed?)`);
        else if (typeof rev !== "string" || !REVISION.test(rev) || !rev.startsWith(`${name}-`))
            problems.push(
                `output services.${name}.servingRevision is ${JSON.stringify(rev)}: not a revision of ${name} (${name}-<digest12>-<config6>)`,
            );
        else out.set(name, rev);
    }
    if (problems.length > 0) throw new PromotionInputError(`${source}:\n  ${problems.join("\n  ")}`);
    return out;
}

/**
 * The changes, with each Cloud Run service's `traffic.previous` moved to the revision the target
 * serves now (`served`, from its servingRevision output) where that differs. Pure.
 */
export function withPrevious(
    changes: Change[],
    target: TargetService[],
    served: Map<string, string>,
): Change[] {
    return changes.map((c) => {
        const t = target.find((x) => x.index === c.index)!;
        const now = served.get(c.service);
        if (t.target !== "gcp" || now === undefined || now === t.previous) return c;
        return { ...c, previous: { from: t.previous, to: now } };
    });
}

/** Services whose change needs the target's servingRevision (Cloud Run). Pure. */
export function needsServingRevision(changes: Change[], target: TargetService[]): string[] {
    return changes
        .filter((c) => target.find((t) => t.index === c.index)?.target === "gcp")
        .map((c) => c.service);
}

/**
 * The stack file with each change's `image.ref` replaced, and `cloudRun.traffic.previous` where
 * the change moves it; comments and layout kept. `digests: false` applies only the latter (the
 * baseline the digest-only comparison starts from). Pure.
 */
export function rewriteStackFile(text: string, changes: Change[], opts: { digests?: boolean } = {}): string {
    const doc = parseDocument(text);
    for (const c of changes) {
        const path = ["config", "service-deploy:services", c.index, "image", "ref"];
        if (doc.getIn(path) !== c.from) throw new Error(`services[${c.index}].image.ref is not ${c.from}`);
        if (opts.digests !== false) doc.setIn(path, c.to);
        if (c.previous) {
            const prev = ["config", "service-deploy:services", c.index, "cloudRun", "traffic", "previous"];
            if (doc.getIn(prev) !== c.previous.from)
                throw new Error(`services[${c.index}].cloudRun.traffic.previous is not ${c.previous.from}`);
            doc.setIn(prev, c.previous.to);
        }
    }
    return doc.toString({ lineWidth: 0 });
}

export interface PlannedResource {
    urn: string;
    type: string;
    inputs: unknown;
}

/**
 * Whether the stack, planned before and after the rewrite, differs in anything but the promoted
 * digests: every occurrence of a new digest (and its 12-hex prefix, which Cloud Run revision names
 * carry) is put back to the old one, and then the plans must be equal. Two entries of a Cloud Run
 * traffic list that then name the same revision are one (as `trafficPlan` collapses them): after
 * a promotion the old revision is `previous` at 0%, which before it was the new one at 100%.
 * Returns the differences, one line each. Pure.
 */
export function changesBeyondDigests(
    before: PlannedResource[],
    after: PlannedResource[],
    changes: Change[],
): string[] {
    const pairs = changes.map((c) => [c.to.split("@sha256:")[1], c.from.split("@sha256:")[1]] as const);
    const back = (v: unknown): unknown => {
        let s = JSON.stringify(v) ?? "null";
        for (const [n, o] of pairs) s = s.split(n).join(o).split(n.slice(0, 12)).join(o.slice(0, 12));
        return collapseTraffic(JSON.parse(s));
    };
    return diffPlans(
        before.map((r) => ({ ...r, inputs: collapseTraffic(r.inputs) })),
        after,
        back,
        releaseSpec,
        "the digest",
    );
}

/**
 * What differs between two plans of the target besides Cloud Run services' `traffics` (the one
 * input that moving `traffic.previous` may change: the revision name's config hash leaves traffic
 * out). Pure.
 */
export function changesBeyondTraffic(before: PlannedResource[], after: PlannedResource[]): string[] {
    return diffPlans(
        before,
        after,
        (v) => v,
        (type, key) => (type === CLOUD_RUN_SERVICE && key === "traffics") || releaseSpec(type, key),
        "Cloud Run's traffic",
    );
}

const CLOUD_RUN_SERVICE = "gcp:cloudrunv2/service:Service";
/** The Cloud Run release step's RELEASE_SPEC: which tag it smokes and where it moves traffic, from the traffic list. */
const releaseSpec = (type: string, key: string) => type === "command:local:Command" && key === "environment";

function collapseTraffic(inputs: unknown): unknown {
    const t = (inputs as { traffics?: { revision?: string; percent?: number }[] } | undefined)?.traffics;
    if (!Array.isArray(t)) return inputs;
    const out: { revision?: string; percent?: number }[] = [];
    for (const e of t) {
        const same = e.revision !== undefined ? out.find((x) => x.revision === e.revision) : undefined;
        if (same) same.percent = (same.percent ?? 0) + (e.percent ?? 0);
        else out.push({ ...e });
    }
    return { ...(inputs as object), traffics: out };
}

function diffPlans(
    before: PlannedResource[],
    after: PlannedResource[],
    back: (v: unknown) => unknown,
    ignored: (type: string, key: string) => boolean,
    allowed: string,
): string[] {
    const keyed = (rs: PlannedResource[], f: (v: unknown) => unknown) =>
        new Map(rs.map((r) => [String(f(r.urn)), r]));
    const b = keyed(before, (v) => v),
        a = keyed(after, back);
    const out: string[] = [];
    for (const [urn, r] of a) {
        const old = b.get(urn);
        if (!old) {
            out.push(`+ ${r.type} ${urn}: a new resource`);
            continue;
        }
        const keys = diffKeys(
            old.inputs as Record<string, unknown>,
            back(r.inputs) as Record<string, unknown>,
        ).filter((k) => !ignored(r.type, k));
        if (keys.length > 0)
            out.push(
                `~ ${r.type} ${urn}: ${keys.join(", ")} change${keys.length === 1 ? "s" : ""} beyond ${allowed}`,
            );
    }
    for (const [urn, r] of b) if (!a.has(urn)) out.push(`- ${r.type} ${urn}: would be deleted`);
    return out.sort();
}

function diffKeys(x: Record<string, unknown>, y: Record<string, unknown>): string[] {
    const keys = new Set([...Object.keys(x ?? {}), ...Object.keys(y ?? {})]);
    return [...keys].filter((k) => JSON.stringify(x?.[k]) !== JSON.stringify(y?.[k])).sort();
}

/**
 * Steps of a `pulumi preview --json` of the target stack, taken before the rewrite: anything but
 * `same` means the target already differs from what it runs (unreleased code or config), which a
 * promotion would ship along with the digests. Pure.
 */
export function pendingChanges(preview: unknown, source: string): string[] {
    const steps = (preview as { steps?: { op?: string; urn?: string }[] })?.steps;
    if (!Array.isArray(steps))
        throw new PromotionInputError(
            `${source}: expected \`pulumi preview --json\` output with a "steps" list`,
        );
    return steps.filter((s) => s.op !== "same" && s.op !== "read").map((s) => `${s.op} ${s.urn}`);
}
