/**
 * Reading a prebuilt image's config from its registry: the labels, of which the program reads
 * the app's env declaration (`dev.service-deploy.env`, docs/env-contract.md). It follows the OCI
 * distribution spec (v1.1, `GET /v2/<name>/manifests/<reference>` and
 * `GET /v2/<name>/blobs/<digest>`) and Docker's token authentication
 * (distribution/distribution docs/spec/auth/token.md: a 401 carries `WWW-Authenticate: Basic` or
 * `Bearer realm=...,service=...,scope=...`), with the same credentials the manifest check uses:
 * ECR answers Basic with `AWS:<token>`, Artifact Registry a Bearer realm that takes
 * `oauth2accesstoken:<token>`, a VM's registry its own login.
 *
 * The reader is swappable (`setImageConfigReader`) so the offline engine answers from its
 * --registry file and no mocked run ever reaches a network.
 */
import { ENV_LABEL } from "./contract";
import { cite } from "./failures";

/** Credentials, resolved. */
export interface RegistryCredentials {
    username: string;
    password: string;
}

/** Where a reference lives in the distribution API. */
export interface RegistryLocation {
    /** Base URL of the API host, e.g. `https://ghcr.io`; plain HTTP only on loopback. */
    base: string;
    /** Repository path, e.g. `acme/api` (Docker Hub's `library/` added). */
    name: string;
    /** `sha256:<hex>` */
    digest: string;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;

/**
 * Split `<host>/<name>@sha256:<hex>` into API base, repository and digest. A first component
 * without `.`, `:` or `localhost` is a Docker Hub name, as the docker CLI reads it. Loopback
 * hosts speak plain HTTP (Docker's default insecure range 127.0.0.0/8); every other host HTTPS. Pure.
 */
export function registryLocation(ref: string): RegistryLocation {
    const at = ref.lastIndexOf("@");
    if (at < 0) throw new Error(cite("SD-004", `image reference ${ref} is not pinned by digest`));
    const digest = ref.slice(at + 1);
    let repo = ref.slice(0, at);
    const lastSlash = repo.lastIndexOf("/");
    const tagColon = repo.indexOf(":", lastSlash + 1);
    if (tagColon > lastSlash && lastSlash >= 0) repo = repo.slice(0, tagColon);
    const first = repo.split("/")[0];
    const isHost =
        repo.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
    if (!isHost) {
        const name = repo.includes("/") ? repo : `library/${repo}`;
        return { base: "https://registry-1.docker.io", name, digest };
    }
    const host = first === "docker.io" || first === "index.docker.io" ? "registry-1.docker.io" : first;
    return {
        base: `${LOOPBACK.test(host) ? "http" : "https"}://${host}`,
        name: repo.slice(first.length + 1),
        digest,
    };
}

/** A parsed `WWW-Authenticate` challenge. Pure. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
    const m = /^\s*(\w+)\s*(.*)$/.exec(header);
    if (!m) return { scheme: "", params: {} };
    const params: Record<string, string> = {};
    for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g)) params[p[1]] = p[2];
    return { scheme: m[1].toLowerCase(), params };
}

export const MANIFEST_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
const INDEX_TYPES = new Set([MANIFEST_TYPES[0], MANIFEST_TYPES[2]]);

interface Descriptor {
    mediaType?: string;
    digest: string;
    platform?: { os?: string; architecture?: string };
}

/** The descriptor of an index's manifest for `platform` (`os/arch`), or undefined. Pure. */
export function manifestFor(manifests: readonly Descriptor[], platform: string): Descriptor | undefined {
    return manifests.find((m) => `${m.platform?.os}/${m.platform?.architecture}` === platform);
}

/** The registry answered, but not with the image config. `refused` is a 401/403 after credentials. */
export class RegistryReadError extends Error {
    constructor(
        message: string,
        public readonly refused: boolean,
    ) {
        super(message);
        this.name = "RegistryReadError";
    }
}

type Fetch = typeof fetch;

/**
 * The labels of `ref`'s image config for `platform` (an index is followed to that platform's
 * manifest). Throws RegistryReadError naming the image when the registry refuses the
 * credentials, lacks the image or answers something else.
 */
export async function readImageConfigLabels(
    ref: string,
    platform: string,
    creds: RegistryCredentials | undefined,
    fetchImpl: Fetch = fetch,
): Promise<Record<string, string>> {
    const loc = registryLocation(ref);
    const host = new URL(loc.base).host;
    let authorization: string | undefined;
    const basic = creds
        ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`
        : undefined;
    const what = `image ${ref}: reading its config from ${host} for label ${ENV_LABEL}`;

    const get = async (url: string, accept: string): Promise<Response> => {
        const headers = (a?: string) => ({ accept, ...(a ? { authorization: a } : {}) });
        let res = await call(url, headers(authorization));
        if (res.status !== 401 || authorization) return res;
        const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
        if (challenge.scheme === "basic" && basic) authorization = basic;
        else if (challenge.scheme === "bearer" && challenge.params.realm) {
            const t = new URL(challenge.params.realm);
            if (challenge.params.service) t.searchParams.set("service", challenge.params.service);
            t.searchParams.set("scope", challenge.params.scope ?? `repository:${loc.name}:pull`);
            const tr = await call(t.toString(), basic ? { authorization: basic } : {});
            if (tr.status === 401 || tr.status === 403) throw refused(tr.status);
            if (!tr.ok)
                throw new RegistryReadError(`${what}: the token service answered HTTP ${tr.status}`, false);
            const body = (await tr.json()) as { token?: string; access_token?: string };
            const token = body.token ?? body.access_token;
            if (!token) throw new RegistryReadError(`${what}: the token service returned no token`, false);
            authorization = `Bearer ${token}`;
        } else return res;
        res = await call(url, headers(authorization));
        return res;
    };
    const refused = (status: number) =>
        new RegistryReadError(
            cite(
                "SD-017",
                `${what}: the registry refused ${creds ? `the credentials of user "${creds.username}"` : "an anonymous pull"} (HTTP ${status}); check the registry login the stack gives this image`,
            ),
            true,
        );
    const call = async (url: string, headers: Record<string, string>): Promise<Response> => {
        try {
            return await fetchImpl(url, { headers, redirect: "follow" });
        } catch (e) {
            const cause = (e as { cause?: { code?: string; message?: string } }).cause;
            throw new RegistryReadError(
                `${what}: ${host} cannot be reached (${cause?.code ?? cause?.message ?? (e as Error).message})`,
                false,
            );
        }
    };
    const check = (res: Response, path: string) => {
        if (res.status === 401 || res.status === 403) throw refused(res.status);
        if (res.status === 404)
            throw new RegistryReadError(
                `${what}: ${host} has no ${path} (HTTP 404); push the image first`,
                false,
            );
        if (!res.ok) throw new RegistryReadError(`${what}: ${path} answered HTTP ${res.status}`, false);
    };

    const manifestUrl = (d: string) => `${loc.base}/v2/${loc.name}/manifests/${d}`;
    let res = await get(manifestUrl(loc.digest), MANIFEST_TYPES.join(", "));
    check(res, `manifest ${loc.digest}`);
    let doc = (await res.json()) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor };
    const type = doc.mediaType ?? res.headers.get("content-type") ?? "";
    if (INDEX_TYPES.has(type) || Array.isArray(doc.manifests)) {
        const m = manifestFor(doc.manifests ?? [], platform);
        if (!m) throw new RegistryReadError(`${what}: its index has no ${platform} manifest`, false);
        res = await get(manifestUrl(m.digest), MANIFEST_TYPES.join(", "));
        check(res, `manifest ${m.digest}`);
        doc = (await res.json()) as typeof doc;
    }
    if (!doc.config?.digest) throw new RegistryReadError(`${what}: the manifest names no config`, false);
    res = await get(`${loc.base}/v2/${loc.name}/blobs/${doc.config.digest}`, "*/*");
    check(res, `config blob ${doc.config.digest}`);
    const config = (await res.json()) as { config?: { Labels?: Record<string, string> | null } };
    return { ...(config.config?.Labels ?? {}) };
}

/**
 * How the program reads an image's labels. `undefined` means "cannot be read here" (the offline
 * engine without the label in its --registry file): the check is then advisory, and the plan says so.
 */
export type ImageConfigReader = (
    ref: string,
    platform: string,
    creds: RegistryCredentials | undefined,
) => Promise<Record<string, string> | undefined>;

let reader: ImageConfigReader = readImageConfigLabels;
let offline = false;

/**
 * Replace the reader (the offline engine does; it must never reach a network). An offline
 * reader's caller reports warnings itself (the plan's Warnings), so the program stays quiet.
 */
export function setImageConfigReader(r: ImageConfigReader, opts: { offline: boolean }): void {
    reader = r;
    offline = opts.offline;
}

/** The current reader, and whether it answers offline. */
export function imageConfigReader(): { read: ImageConfigReader; offline: boolean } {
    return { read: reader, offline };
}
