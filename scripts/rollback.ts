/**
 * `npm run rollback -- --stack <s> [--service <name>] [--host <name>] [--dry-run] [--identity <file>]`:
 * one rollback command for every target, built from the stack's own config.
 * - VM: the rollback line from the same builder the deploy uses (components/vm/commands.ts, with
 *   the deploy's options: TLS, listen, subnet, sudo for a non-root user), run over SSH with the
 *   stack's key and the pinned host key (StrictHostKeyChecking=yes against a known_hosts file made
 *   from `vm.hosts[].hostKey`), one multiplexed connection per host: `status` first (what serves
 *   now), then the rollback on the same connection. `--dry-run` prints exactly that, the key
 *   masked, and runs nothing.
 * - AWS (ECS): the rollback is the previous digest through the stack: it names the digest the
 *   stack file held before (git history), the line it changes and the `pulumi up` that deploys it.
 * - GCP (Cloud Run): traffic back to `cloudRun.traffic.previous`: the `gcloud` line that moves it
 *   at once and the stack file change that keeps it.
 * ECS and Cloud Run are printed, not performed: they need that cloud's credentials and a person's
 * decision on the stack file.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import type { NormalizedService, StackConfig } from "../components/config";
import { hostPaths, rollbackCommand, statusCommand } from "../components/vm/commands";
import { deployOptions } from "../components/vm/vm-service";
import { ROOT } from "./offline";
import { stackConfigOf } from "./policy-config";

export interface RollbackArgs {
    stack: string;
    /** @default every service of the stack */
    service?: string;
    /** @default every host (VM) */
    host?: string;
    /** @default false */
    dryRun: boolean;
    /** A file holding the SSH private key. @default the stack's vm.sshKeySecret, read with `pulumi config get` */
    identity?: string;
}

export const USAGE =
    "usage: npm run rollback -- --stack <name> [--service <name>] [--host <name>] [--dry-run] [--identity <key file>]";

/** The command line, or an error naming the bad argument. Pure. */
export function parseArgs(argv: string[]): RollbackArgs {
    const out: Partial<RollbackArgs> & { dryRun: boolean } = { dryRun: false };
    const valued = {
        "--stack": "stack",
        "--service": "service",
        "--host": "host",
        "--identity": "identity",
    } as const;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--dry-run") {
            out.dryRun = true;
            continue;
        }
        if (a in valued) {
            const v = argv[i + 1];
            if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
            out[valued[a as keyof typeof valued]] = v;
            i++;
            continue;
        }
        throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
    if (!out.stack) throw new Error(`--stack <name> is required\n${USAGE}`);
    return out as RollbackArgs;
}

export interface VmStep {
    service: string;
    host: string;
    /** ssh's arguments up to (not including) the remote command. */
    ssh: string[];
    status: string;
    rollback: string;
}

/** Services the rollback covers, or an error naming the unknown one. Pure. */
export function selectServices(config: StackConfig, name?: string): NormalizedService[] {
    if (!name) return config.services;
    const s = config.services.filter((x) => x.name === name);
    if (s.length === 0)
        throw new Error(
            `--service ${name}: no such service in this stack (it has: ${config.services.map((x) => x.name).join(", ")})`,
        );
    return s;
}

/**
 * ssh's options for one host: the key, the pinned host keys (host and bastion) only, no agent or
 * password, and one master connection per host reused by every command (ControlPersist 60 s). Pure.
 */
export function sshArgv(
    vm: NonNullable<StackConfig["vm"]>,
    host: VmHost,
    files: { identity: string; knownHosts: string; controlDir: string },
): string[] {
    const common = [
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${files.knownHosts}`,
        "-o",
        "LogLevel=ERROR",
        "-i",
        files.identity,
    ];
    const jump = vm.bastion
        ? [
              "-o",
              `ProxyCommand=ssh ${common.join(" ")} -p ${vm.bastion.port} -W %h:%p ${vm.bastion.user}@${vm.bastion.address}`,
          ]
        : [];
    return [
        ...common,
        ...jump,
        "-o",
        "ControlMaster=auto",
        "-o",
        `ControlPath=${files.controlDir}/%C`,
        "-o",
        "ControlPersist=60",
        "-p",
        String(host.port),
        `${host.user}@${host.address}`,
    ];
}

type VmHost = NonNullable<NonNullable<StackConfig["vm"]>["hosts"]>[number];

/**
 * The stack's hosts. A host the stack provisions (vm.provision.oci) has its address and pinned key
 * only in the stack's outputs, which this offline builder does not read: say so and how to roll
 * back there instead of guessing an address.
 */
export function hostsOf(vm: NonNullable<StackConfig["vm"]>): VmHost[] {
    if (vm.hosts && vm.hosts.length > 0) return vm.hosts;
    throw new Error(
        "vm.provision.oci: this stack creates its host, whose address and host key are stack outputs; " +
            "npm run rollback reads vm.hosts only. Roll back on the host with the status line's " +
            "rollback flags (docs/oci.md#rolling-back), or pin the previous digest and run pulumi up",
    );
}

/** known_hosts lines pinning each host's key (and the bastion's), as ssh writes them. Pure. */
export function knownHosts(vm: NonNullable<StackConfig["vm"]>): string {
    const entry = (address: string, port: number, key: string) =>
        `${port === 22 ? address : `[${address}]:${port}`} ${key.trim()}\n`;
    return [
        ...hostsOf(vm).map((h) => entry(h.address, h.port, h.hostKey)),
        ...(vm.bastion ? [entry(vm.bastion.address, vm.bastion.port, vm.bastion.hostKey)] : []),
    ].join("");
}

/** The VM steps: per service and host, the status and rollback lines the deploy's builder makes. Pure. */
export function vmSteps(
    config: StackConfig,
    args: Pick<RollbackArgs, "service" | "host">,
    files: { identity: string; knownHosts: string; controlDir: string },
): VmStep[] {
    const vm = config.vm;
    const vmServices = config.services.filter((s) => s.target === "vm");
    const wanted = selectServices(config, args.service).filter((s) => s.target === "vm");
    if (!vm || wanted.length === 0) return [];
    const all = hostsOf(vm);
    const hosts = args.host ? all.filter((h) => h.name === args.host) : all;
    if (hosts.length === 0)
        throw new Error(
            `--host ${args.host}: no such host in vm.hosts (it has: ${all.map((h) => h.name).join(", ")})`,
        );
    return wanted.flatMap((svc) => {
        // The index among the stack's VM services decides the service's network, as in VmTarget.
        const base = deployOptions(svc, vm, vmServices.indexOf(svc));
        const p = hostPaths(svc.name);
        return hosts.map((host) => {
            const o = { ...base, sudo: host.user !== "root" };
            return {
                service: svc.name,
                host: host.name,
                ssh: sshArgv(vm, host, files),
                status: statusCommand(p, o),
                rollback: rollbackCommand(p, o),
            };
        });
    });
}

const refOf = (svc: NormalizedService) => ("ref" in svc.image ? svc.image.ref : undefined);

/** What the rollback of an ECS service changes, from the stack file's git history. Pure but for its input. */
export function ecsPlan(stack: string, svc: NormalizedService, previousRef: string | undefined): string[] {
    const file = `Pulumi.${stack}.yaml`;
    const current = refOf(svc) ?? "(built by this stack)";
    if (!previousRef)
        return [
            `${svc.name} (ECS): no earlier image.ref of ${svc.name} in the git history of ${file}; ECS's own rollback (circuit breaker, rollback alarms) covers a deployment in progress. Nothing to print.`,
        ];
    return [
        `${svc.name} (ECS): the rollback is the previous digest through the stack. It changes one line of ${file}:`,
        `    services[${svc.name}].image.ref: ${current}`,
        `                              -> ${previousRef}`,
        `  then: pulumi up --stack ${stack} --policy-pack policies --policy-pack-config policies/config/${stack}.json`,
        "  (an ECS blue-green deployment like any other: new task definition, bake, rollback alarms). Not run from here.",
    ];
}

/** What the rollback of a Cloud Run service changes: traffic back to the previous revision. Pure. */
export function cloudRunPlan(
    stack: string,
    svc: NormalizedService,
    region?: string,
    project?: string,
): string[] {
    const previous = svc.cloudRun?.traffic?.previous;
    if (!previous)
        return [
            `${svc.name} (Cloud Run): cloudRun.traffic.previous is not set in Pulumi.${stack}.yaml, so there is no revision to send traffic back to; set it to the revision that served before (the servingRevision output).`,
        ];
    return [
        `${svc.name} (Cloud Run): traffic back to the previous revision ${previous}. At once:`,
        `  gcloud run services update-traffic ${svc.name} --region ${region ?? "<region>"}${project ? ` --project ${project}` : ""} --to-revisions ${previous}=100`,
        `  and keep it: set services[${svc.name}].cloudRun.traffic.percent: 0 in Pulumi.${stack}.yaml, then pulumi up --stack ${stack} (the next up writes traffic from the stack file). Not run from here.`,
    ];
}

/** A service's `image.ref` in a stack file's text, or undefined. Pure. */
export function imageRefIn(text: string, service: string): string | undefined {
    try {
        const doc = YAML.parse(text) as { config?: Record<string, unknown> } | null;
        const list = doc?.config?.["service-deploy:services"];
        if (!Array.isArray(list)) return undefined;
        const ref = list.find((x) => x?.name === service)?.image?.ref;
        return typeof ref === "string" ? ref : undefined;
    } catch {
        return undefined; // an old version that does not parse: look further back
    }
}

/** The last image.ref of a service before the current one in the stack file's git history. */
function previousRefFromGit(stack: string, service: string, current?: string): string | undefined {
    const file = `Pulumi.${stack}.yaml`;
    const log = spawnSync("git", ["log", "--format=%H", "--", file], { cwd: ROOT, encoding: "utf8" });
    if (log.status !== 0) return undefined;
    for (const sha of log.stdout.split("\n").filter(Boolean)) {
        const show = spawnSync("git", ["show", `${sha}:${file}`], { cwd: ROOT, encoding: "utf8" });
        if (show.status !== 0) continue;
        const ref = imageRefIn(show.stdout, service);
        if (ref && ref !== current) return ref;
    }
    return undefined;
}

/** The SSH key: --identity, else the stack's secret through the pulumi CLI. */
function identityFile(config: StackConfig, stack: string, given: string | undefined, dir: string): string {
    if (given) {
        if (!fs.existsSync(given)) throw new Error(`--identity ${given}: no such file`);
        return given;
    }
    const name = config.vm!.sshKeySecret;
    const r = spawnSync("pulumi", ["config", "get", name, "--stack", stack], { cwd: ROOT, encoding: "utf8" });
    if (r.error || r.status !== 0)
        throw new Error(
            `the SSH key is the stack's secret ${name}, and \`pulumi config get ${name} --stack ${stack}\` failed (${r.error ? "no pulumi CLI on PATH" : r.stderr.trim().split("\n").pop()}); pass --identity <key file> instead`,
        );
    const f = path.join(dir, "identity");
    fs.writeFileSync(f, r.stdout.endsWith("\n") ? r.stdout : `${r.stdout}\n`, { mode: 0o600 });
    return f;
}

/** A line as a person can paste it, the key file masked. Pure. */
export function shellLine(argv: string[], mask: Record<string, string> = {}): string {
    return argv
        .map((a) => {
            let v = a;
            for (const [secret, shown] of Object.entries(mask)) v = v.split(secret).join(shown);
            return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
        })
        .join(" ");
}

export async function rollback(args: RollbackArgs, log: (line: string) => void): Promise<number> {
    const file = path.join(ROOT, `Pulumi.${args.stack}.yaml`);
    const config = stackConfigOf(file);
    const services = selectServices(config, args.service);
    let code = 0;
    for (const svc of services.filter((s) => s.target === "aws"))
        for (const l of ecsPlan(args.stack, svc, previousRefFromGit(args.stack, svc.name, refOf(svc))))
            log(l);
    for (const svc of services.filter((s) => s.target === "gcp"))
        for (const l of cloudRunPlan(
            args.stack,
            svc,
            config.gcpLocation?.region,
            config.gcpLocation?.project,
        ))
            log(l);
    if (!services.some((s) => s.target === "vm")) return code;

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sd-rollback-"));
    try {
        const known = path.join(dir, "known_hosts");
        fs.writeFileSync(known, knownHosts(config.vm!));
        const identity = args.dryRun
            ? (args.identity ?? `<the stack's secret ${config.vm!.sshKeySecret}>`)
            : identityFile(config, args.stack, args.identity, dir);
        const mask = args.identity ? {} : { [identity]: `<the stack's secret ${config.vm!.sshKeySecret}>` };
        const steps = vmSteps(config, args, { identity, knownHosts: known, controlDir: dir });
        if (args.dryRun)
            log(
                `known_hosts (${known}), the pinned keys from vm.hosts[].hostKey:\n${knownHosts(config.vm!).trimEnd().replace(/^/gm, "    ")}`,
            );
        for (const s of steps) {
            log(
                `${s.service} on ${s.host} (VM): back to the kept previous color (a switch inside the bake, else a start of the kept container; never a pull). It changes which color nginx serves; then pin the previous digest in Pulumi.${args.stack}.yaml so the next pulumi up does not roll forward.`,
            );
            if (args.dryRun) {
                log(`  would run: ssh ${shellLine([...s.ssh, s.status], mask)}`);
                log(`  would run: ssh ${shellLine([...s.ssh, s.rollback], mask)}`);
                continue;
            }
            const st = spawnSync("ssh", [...s.ssh, s.status], { encoding: "utf8" });
            log(`  now: ${(st.stdout.trim() || st.stderr.trim()).split("\n").pop()}`);
            const rb = spawnSync("ssh", [...s.ssh, s.rollback], {
                encoding: "utf8",
                stdio: ["ignore", "pipe", "inherit"],
            });
            const active = /^ACTIVE .*$/m.exec(rb.stdout)?.[0];
            log(
                rb.status === 0
                    ? `  done: ${active ?? "(no ACTIVE line)"}`
                    : `  FAILED (exit ${rb.status}): see the lines above`,
            );
            if (rb.status !== 0) code = 1;
        }
        if (!args.dryRun)
            for (const h of new Set(steps.map((s) => s.ssh)))
                spawnSync("ssh", ["-O", "exit", ...h], { stdio: "ignore" });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return code;
}

if (require.main === module) {
    let args: RollbackArgs;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`rollback: ${(e as Error).message}\n`);
        process.exit(2);
    }
    rollback(args, (l) => process.stdout.write(`${l}\n`)).then(
        (c) => process.exit(c),
        (e) => {
            process.stderr.write(`rollback: ${(e as Error).message}\n`);
            process.exit(1);
        },
    );
}
