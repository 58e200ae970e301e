/**
 * The image of one service: either built for several platforms and pushed, or a prebuilt
 * reference pinned by digest. Either way the component exposes exactly two things every target
 * consumes: `ref` (always `<repository>@sha256:<digest>`) and `platforms` (what the image's index
 * holds). No target ever takes a bare image string (three names for one image, and a build for
 * amd64 only running on an arm64 host, are what that prevents).
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as dockerBuild from "@pulumi/docker-build";
import { DIGEST_REF, type Target } from "./config";
import {
    ENV_LABEL,
    declarationFromLabels,
    declarationLabel,
    envAgainstDeclaration,
    readContextDeclaration,
    type EnvEntry,
    type KnownDeclaration,
} from "./contract";
import { imageConfigReader } from "./registry";
import { cite, type FailureCode } from "./failures";

/** A platform some workload needs, and who needs it (for the error message). */
export interface RequiredPlatform {
    /** e.g. "linux/arm64" */
    platform: string;
    /** e.g. 'aws service "api"' */
    consumer: string;
}

export interface RegistryAuth {
    /** Registry host, e.g. `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com`. */
    address: pulumi.Input<string>;
    username: pulumi.Input<string>;
    /** Short-lived token taken from the cloud provider at deploy time; kept secret. */
    password: pulumi.Input<string>;
}

export interface ServiceImageArgs {
    /** The image: `{ ref }` pinned by digest, or `{ build }`. */
    image:
        | { ref: string }
        | { build: { context: string; dockerfile?: string; tag?: string; platforms: string[] } };
    /** Platforms the targets running this image need; checked against the image before deploying. */
    required: RequiredPlatform[];
    /**
     * Where a build is pushed: the repository URL (without tag) and credentials for it.
     * Required with `build`; ignored with `ref`.
     * @default undefined
     */
    push?: { repositoryUrl: pulumi.Input<string>; auth: pulumi.Input<RegistryAuth> };
    /**
     * Credentials to read a prebuilt `ref`'s manifest from a private registry.
     * @default undefined (anonymous)
     */
    pullAuth?: pulumi.Input<RegistryAuth>;
    /**
     * The stack's own repository that a prebuilt `ref` lives in: its manifest is read after the
     * repository exists (a first deploy creates it, then finds the copied digest there).
     * @default undefined (the ref's repository is not this stack's)
     */
    repository?: pulumi.Resource;
    /**
     * The stack env a prebuilt `ref` is held to: at preview the image's env-declaration label is
     * read from the registry (with `pullAuth`) and every variable it requires must be set here.
     * @default undefined (the label is read and exposed, nothing is checked)
     */
    heldTo?: { service: string; target: Target; env: Record<string, EnvEntry> };
}

/** Platforms (`os/arch`) in a registry manifest list. Pure. */
export function platformsFromManifests(manifests: readonly { os: string; architecture: string }[]): string[] {
    return [
        ...new Set(manifests.filter((m) => m.os !== "unknown").map((m) => `${m.os}/${m.architecture}`)),
    ].sort();
}

/** One message per required platform the image lacks, naming the platform and who needs it. Pure. */
export function missingPlatforms(
    image: string,
    available: readonly string[],
    required: readonly RequiredPlatform[],
    code: FailureCode = "SD-002",
): string[] {
    return required
        .filter((r) => !available.includes(r.platform))
        .map((r) =>
            cite(
                code,
                `image ${image} has no ${r.platform} manifest (it holds ${available.length ? available.join(", ") : "no platform list: not a multi-platform index"}), but ${r.consumer} runs on ${r.platform}; rebuild with --platform ${[...new Set([...available, r.platform])].sort().join(",")}`,
            ),
        );
}

/**
 * A tag derived from the build context's content: every file's relative path and bytes, in
 * sorted order. Same sources, same tag; a change anywhere, a new tag (the registry refuses to
 * move an existing tag).
 */
export function contextTag(dir: string): string {
    if (!fs.existsSync(dir)) throw new Error(`image build context ${dir} does not exist`);
    const hash = crypto.createHash("sha256");
    const walk = (rel: string) => {
        for (const entry of fs
            .readdirSync(path.join(dir, rel), { withFileTypes: true })
            .sort((a, b) => a.name.localeCompare(b.name))) {
            const p = path.join(rel, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (entry.isFile()) {
                hash.update(`${p.split(path.sep).join("/")}\0`);
                hash.update(fs.readFileSync(path.join(dir, p)));
                hash.update("\0");
            }
        }
    };
    walk("");
    return `src-${hash.digest("hex").slice(0, 12)}`;
}

/**
 * The last commit that changed anything under `dir` (`git log -1 -- <dir>`), or undefined outside
 * a git checkout. A shallow clone of depth 1 answers HEAD: still unique, only less stable (CI
 * checks out with `fetch-depth: 0`).
 */
export function contextCommit(dir: string): string | undefined {
    const r = spawnSync("git", ["-C", dir, "log", "-1", "--format=%H", "--", "."], { encoding: "utf8" });
    const sha = r.status === 0 ? r.stdout.trim() : "";
    return /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
}

/**
 * The tag a build pushes: unique per build, the same on every preview of the same sources. Two
 * parts: a hash of everything the build is made from (the context's files, the Dockerfile path,
 * the platforms), so a change of any of them is a new tag where the builder rebuilds; and the
 * last commit that changed the context, so a build of content pushed once before (a revert) does
 * not reuse the tag an immutable registry holds for the earlier build's different digest
 * (ECR ImageTagAlreadyExistsException, botocore 1.43.11 ecr model: "The specified image is tagged
 * with a tag that already exists. The repository is configured for tag immutability."). Not the
 * HEAD commit and not a build id: those change on every commit or run, so every preview would
 * show a rebuild and every docs-only commit would redeploy. Pure.
 */
export function buildTag(a: {
    contextHash: string;
    dockerfile: string;
    platforms: readonly string[];
    commit?: string;
}): string {
    const hash = crypto
        .createHash("sha256")
        .update(JSON.stringify([a.contextHash, a.dockerfile, [...a.platforms].sort()]))
        .digest("hex")
        .slice(0, 12);
    return a.commit ? `src-${hash}-${a.commit.slice(0, 12)}` : `src-${hash}`;
}

/** Split a pinned reference into repository and digest. Pure. */
export function parseDigestRef(ref: string): { repository: string; digest: string } {
    const m = DIGEST_REF.exec(ref);
    if (!m?.groups)
        throw new Error(
            cite(
                "SD-004",
                `image reference ${ref} is not pinned by digest (<registry>/<name>@sha256:<digest>)`,
            ),
        );
    return { repository: m.groups.repo, digest: m.groups.digest };
}

export class ServiceImage extends pulumi.ComponentResource {
    /** `<repository>@sha256:<digest>`: the only form targets accept. */
    public readonly ref: pulumi.Output<string>;
    /** `sha256:<digest>` */
    public readonly digest: pulumi.Output<string>;
    /** Platforms the image index holds, e.g. ["linux/amd64", "linux/arm64"]. */
    public readonly platforms: pulumi.Output<string[]>;
    /**
     * The app's env declaration: a build's context file, or a prebuilt ref's image label read
     * from the registry at preview; undefined when there is none or it cannot be read here.
     */
    public readonly declaration: pulumi.Output<KnownDeclaration | undefined>;
    /** The build, when this image is built here. */
    public readonly build?: dockerBuild.Image;

    constructor(name: string, args: ServiceImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:image:ServiceImage", name, {}, opts);

        if ("ref" in args.image) {
            const { repository, digest } = parseDigestRef(args.image.ref);
            const ref = `${repository}@${digest}`;
            // Runs at preview too (invokes are not deferred), so a wrong-CPU image fails the
            // preview, before anything changes, with the platform and the target named.
            const manifests = docker.getRegistryImageManifestsOutput(
                { name: ref, authConfig: args.pullAuth },
                { parent: this, ...(args.repository ? { dependsOn: [args.repository] } : {}) },
            );
            // The invoke's result is secret because its input carries registry credentials; the
            // platform list itself is not, so it is unwrapped for outputs and policies.
            // The image config's labels, read with the same credentials as the manifests; a
            // refusal fails the preview naming the image (components/registry.ts).
            const platform = args.required[0]?.platform ?? "linux/amd64";
            const reader = imageConfigReader();
            const labels = pulumi
                .output(args.pullAuth)
                .apply((a) =>
                    reader.read(
                        ref,
                        platform,
                        a ? { username: a.username, password: a.password } : undefined,
                    ),
                );
            this.declaration = pulumi.unsecret(labels).apply((l) => {
                const known = declarationFromLabels(ref, l);
                if (l && !known && args.heldTo && !reader.offline)
                    pulumi.log.warn(
                        `service "${args.heldTo.service}": image ${ref} carries no ${ENV_LABEL} label, so its env cannot be checked against the app's declaration; env-contract-complete is advisory for it (rebuild the image from a context with a .env.example, docs/env-contract.md)`,
                        this,
                    );
                return known;
            });
            this.platforms = pulumi
                .all([pulumi.unsecret(manifests.manifests), this.declaration])
                .apply(([ms, known]) => {
                    const available = platformsFromManifests(ms ?? []);
                    const problems = missingPlatforms(ref, available, args.required);
                    const held = args.heldTo;
                    if (held && known) {
                        const r = envAgainstDeclaration(held.service, held.target, held.env, known);
                        problems.push(...r.errors.map((e) => (e.code ? cite(e.code, e.message) : e.message)));
                        if (!reader.offline) for (const w of r.warnings) pulumi.log.warn(w.message, this);
                    }
                    if (problems.length > 0) throw new Error(problems.join("\n"));
                    return available;
                });
            this.ref = pulumi.output(ref);
            this.digest = pulumi.output(digest);
        } else {
            const b = args.image.build;
            if (!args.push) throw new Error(`image ${name}: a build needs a registry to push to`);
            const problems = missingPlatforms(`build ${name}`, b.platforms, args.required, "SD-001");
            if (problems.length > 0) throw new Error(problems.join("\n"));
            // The app's env declaration travels with the image as one OCI label, so a prebuilt
            // ref can be held to it later (docs/env-contract.md).
            const declared = readContextDeclaration(b.context);
            this.declaration = pulumi.output(declared);
            const auth = pulumi.output(args.push.auth);
            const commit = b.tag ? undefined : contextCommit(b.context);
            if (!b.tag && !commit)
                pulumi.log.warn(
                    `image ${name}: ${b.context} is not in a git checkout, so its tag is the content hash alone; a rebuild of content pushed before is refused by an immutable registry (set image.build.tag)`,
                    this,
                );
            const tag =
                b.tag ??
                buildTag({
                    contextHash: contextTag(b.context),
                    dockerfile: b.dockerfile ?? "Dockerfile",
                    platforms: b.platforms,
                    commit,
                });
            const repositoryUrl = pulumi.output(args.push.repositoryUrl);
            this.build = new dockerBuild.Image(
                `${name}-build`,
                {
                    context: { location: b.context },
                    dockerfile: { location: path.join(b.context, b.dockerfile ?? "Dockerfile") },
                    platforms: b.platforms as dockerBuild.Platform[],
                    ...(declared ? { labels: { [ENV_LABEL]: declarationLabel(declared.declaration) } } : {}),
                    push: true,
                    tags: [pulumi.interpolate`${repositoryUrl}:${tag}`],
                    registries: [
                        {
                            address: auth.address,
                            username: auth.username,
                            password: pulumi.secret(auth.password),
                        },
                    ],
                },
                { parent: this },
            );
            this.digest = this.build.digest;
            this.ref = pulumi.interpolate`${repositoryUrl}@${this.build.digest}`;
            this.platforms = pulumi.output([...b.platforms].sort());
        }
        this.registerOutputs({ ref: this.ref, digest: this.digest, platforms: this.platforms });
    }
}
