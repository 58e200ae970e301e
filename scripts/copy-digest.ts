/**
 * The copy of a promoted digest from staging's repository into the production stack's own one
 * (SD-024, docs/aws.md#images), built in this one place: `npm run promote` prints it, promote.yml
 * runs it (`npm run copy-digest -- --from <staging> --to <production> --run`) before production's
 * preview and up, and test/copy-digest.test.ts runs it against a real registry on loopback.
 *
 * `skopeo copy --all --preserve-digests`: every platform of the index (`--all`; without it skopeo
 * copies only the runner's platform), and the copy fails rather than convert a manifest, so the
 * index digest production pins is the one staging ran (skopeo-copy(1): "--preserve-digests:
 * Preserve the digests during copying. Fail if the digest cannot be preserved."). skopeo is on
 * GitHub's Ubuntu runners and in Debian; no daemon.
 *
 * Usage: npm run copy-digest -- --from <stack> --to <stack> [--outputs <file>] [--run]
 *   Prints the registry logins and copies for every service whose pinned `image.ref` in
 *   Pulumi.<to>.yaml names another repository than staging's image (from `pulumi stack output
 *   --json --stack <from>`, or --outputs); --run runs them, in order, stopping at the first failure.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PromotionInputError, parseStagingOutputs, targetServices } from "./promotion";

/** `host[:port]/repository@sha256:<64 hex>`, with no tag and nothing a shell would read. */
const PINNED =
    /^(?<host>[a-z0-9][a-z0-9.-]*(?::\d+)?)\/(?<repo>[a-z0-9][a-z0-9._/-]*)@(?<digest>sha256:[0-9a-f]{64})$/;

/** A pinned reference as host, repository and digest; a tag before the digest is dropped. Pure. */
export function pinnedParts(ref: string): { host: string; repo: string; digest: string } | undefined {
    const m = PINNED.exec(ref.replace(/:[\w][\w.-]{0,127}@/, "@"));
    return m?.groups ? { host: m.groups.host, repo: m.groups.repo, digest: m.groups.digest } : undefined;
}

/**
 * The one copy line: `from` and `to` pinned to the same digest, `to` in another repository.
 * Throws naming the reference when either is not pinned or the digests differ. Pure.
 */
export function copyDigestCommand(from: string, to: string): string {
    const f = pinnedParts(from);
    const t = pinnedParts(to);
    if (!f) throw new PromotionInputError(`copy from "${from}": not <registry>/<repository>@sha256:<64 hex>`);
    if (!t) throw new PromotionInputError(`copy to "${to}": not <registry>/<repository>@sha256:<64 hex>`);
    if (f.digest !== t.digest)
        throw new PromotionInputError(`copy ${from} -> ${to}: the digests differ; a copy keeps the digest`);
    return `skopeo copy --all --preserve-digests docker://${f.host}/${f.repo}@${f.digest} docker://${t.host}/${t.repo}@${t.digest}`;
}

/**
 * How skopeo logs in to a registry with the job's cloud identity, or undefined when the registry
 * needs no login the job can make (the user's own `skopeo login`). The password goes through a
 * pipe, never the command line or the log. Pure.
 */
export function registryLoginCommand(host: string): string | undefined {
    const ecr = /^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/.exec(host);
    if (ecr)
        return `aws ecr get-login-password --region ${ecr[1]} | skopeo login --username AWS --password-stdin ${host}`;
    if (/^[a-z0-9-]+-docker\.pkg\.dev$/.test(host))
        return `gcloud auth print-access-token | skopeo login --username oauth2accesstoken --password-stdin ${host}`;
    return undefined;
}

export interface Copy {
    service: string;
    from: string;
    to: string;
    command: string;
}

/**
 * The copies a promotion needs: each target service pinned in another repository than the image
 * staging runs gets staging's digest in its own repository. Pure.
 */
export function plannedCopies(
    stagingOutputs: unknown,
    source: string,
    targetText: string,
    targetFile: string,
): Copy[] {
    const staging = parseStagingOutputs(stagingOutputs, source);
    const copies: Copy[] = [];
    for (const t of targetServices(targetText, targetFile)) {
        const s = staging.find((x) => x.name === t.name);
        const own = t.ref ? pinnedParts(t.ref) : undefined;
        const theirs = s ? pinnedParts(s.image) : undefined;
        if (!s || !own || !theirs) continue;
        if (own.host === theirs.host && own.repo === theirs.repo) continue;
        const to = `${own.host}/${own.repo}@${s.digest}`;
        copies.push({ service: t.name, from: s.image, to, command: copyDigestCommand(s.image, to) });
    }
    return copies;
}

/** The lines to run, in order: one login per registry the copies touch, then the copies. Pure. */
export function copyScript(copies: Copy[]): string[] {
    const hosts = [...new Set(copies.flatMap((c) => [pinnedParts(c.from)!.host, pinnedParts(c.to)!.host]))];
    const logins = hosts.map(registryLoginCommand).filter((l): l is string => l !== undefined);
    return [...logins, ...copies.map((c) => c.command)];
}

function main(argv: string[]): number {
    const args: Record<string, string | boolean> = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--run") args.run = true;
        else if (["--from", "--to", "--outputs"].includes(a) && argv[i + 1] && !argv[i + 1].startsWith("--"))
            args[a.slice(2)] = argv[++i];
        else throw new PromotionInputError(`unknown or incomplete argument ${a}`);
    }
    if (typeof args.from !== "string" || typeof args.to !== "string")
        throw new PromotionInputError("--from <stack> and --to <stack> are required");
    const targetFile = path.resolve(`Pulumi.${args.to}.yaml`);
    if (!fs.existsSync(targetFile))
        throw new PromotionInputError(`unknown stack ${args.to}: no ${targetFile}`);
    let outputs: unknown;
    const source =
        typeof args.outputs === "string" ? `--outputs ${args.outputs}` : `outputs of stack ${args.from}`;
    const text =
        typeof args.outputs === "string"
            ? fs.readFileSync(args.outputs, "utf8")
            : spawnSync("pulumi", ["stack", "output", "--json", "--stack", args.from], { encoding: "utf8" })
                  .stdout;
    try {
        outputs = JSON.parse(text);
    } catch {
        throw new PromotionInputError(`${source}: not JSON`);
    }
    const copies = plannedCopies(outputs, source, fs.readFileSync(targetFile, "utf8"), targetFile);
    if (copies.length === 0) {
        process.stderr.write(
            `copy-digest ${args.from} -> ${args.to}: every service pulls from staging's repository; nothing to copy\n`,
        );
        return 0;
    }
    for (const line of copyScript(copies)) {
        process.stdout.write(`${line}\n`);
        if (!args.run) continue;
        const r = spawnSync("bash", ["-o", "pipefail", "-c", line], {
            stdio: ["ignore", "inherit", "inherit"],
        });
        if (r.status !== 0) {
            process.stderr.write(`copy-digest: failed (exit ${r.status}): ${line}\nNothing after it ran.\n`);
            return 1;
        }
    }
    return 0;
}

if (require.main === module) {
    try {
        process.exit(main(process.argv.slice(2)));
    } catch (e) {
        process.stderr.write(`copy-digest: ${(e as Error).message}\n`);
        process.exit(2);
    }
}
