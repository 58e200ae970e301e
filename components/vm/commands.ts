/**
 * The VM target's shell lines, built in one place (Kamal's lesson: building a command and running
 * it are kept apart). The component hands these strings to @pulumi/command over SSH; the loopback
 * test (test/vm/) runs the very same strings with ssh; test/vm-commands.test.ts asserts them.
 * Every value is single-quoted; no secret is ever part of a command line.
 */

/** Single-quote a value for POSIX sh. Pure. */
export function sq(v: string | number): string {
    return `'${String(v).replace(/'/g, `'\\''`)}'`;
}

export interface HostPaths {
    /** Directory of the service on the host. */
    dir: string;
    /** The deploy script. */
    script: string;
    /** The script's parts, which it sources from `host/` beside it (`HOST_SCRIPT_PARTS`). */
    partsDir: string;
    /** 0700 directory for the env file and the webhook URL. */
    secretsDir: string;
    /** 0600 env file. */
    envFile: string;
    /** 0600 file holding the watchdog's webhook URL. */
    webhookFile: string;
}

/** Where a service lives on a host. Pure. */
export function hostPaths(service: string, root = "/opt/service-deploy"): HostPaths {
    const dir = `${root}/${service}`;
    return {
        dir,
        script: `${dir}/service-deploy.sh`,
        partsDir: `${dir}/host`,
        secretsDir: `${dir}/secrets`,
        envFile: `${dir}/secrets/env`,
        webhookFile: `${dir}/secrets/webhook`,
    };
}

/**
 * The host script's parts, one concern each (components/vm/host/<part>.sh), in the order
 * deploy.sh sources them from `host/` beside itself. test/vm-commands.test.ts holds the two equal.
 */
export const HOST_SCRIPT_PARTS = ["state", "image", "colors", "nginx", "release", "watchdog"] as const;

/**
 * Every file of the host script: its source under components/vm and where it goes on the host.
 * All are copied the same way (same user, same connection, same directory tree), so the parts
 * that root sources are exactly as trusted as the script the sudoers line names. Pure.
 */
export function hostScriptFiles(p: HostPaths): { source: string; remotePath: string }[] {
    return [
        { source: "deploy.sh", remotePath: p.script },
        ...HOST_SCRIPT_PARTS.map((part) => ({
            source: `host/${part}.sh`,
            remotePath: `${p.partsDir}/${part}.sh`,
        })),
    ];
}

/** Creates the service's directories; the secrets one is 0700 before anything is copied into it. Pure. */
export function prepareCommand(p: HostPaths): string {
    return `umask 077 && mkdir -p ${sq(p.dir)} ${sq(p.partsDir)} ${sq(p.secretsDir)} && chmod 0755 ${sq(p.dir)} ${sq(p.partsDir)} && chmod 0700 ${sq(p.secretsDir)}`;
}

/** An env file as docker and podman read it (`NAME=value`, one a line, no quoting). Pure. */
export function envFileContent(env: Record<string, string>): string {
    return Object.keys(env)
        .sort()
        .map((k) => {
            const v = env[k];
            if (/[\r\n]/.test(v))
                throw new Error(`env ${k}: a value with a line break cannot go in an env file`);
            return `${k}=${v}\n`;
        })
        .join("");
}

export interface DeployOptions {
    service: string;
    /** `<repo>@sha256:<digest>` */
    image: string;
    imagePlatforms: string[];
    arch: "amd64" | "arm64";
    runtime: "docker" | "podman";
    port: number;
    /** Loopback ports of the colors, when no `subnet` is given. @default undefined */
    bluePort?: number;
    /** @default undefined */
    greenPort?: number;
    readinessPath: string;
    livenessPath: string;
    healthPath: string;
    /** e.g. "512m" */
    memory: string;
    /** e.g. "0.5" */
    cpus: string;
    restart: string;
    drainSeconds: number;
    /** Seconds the previous color keeps running after a switch (0: stop it after the drain). @default 0 */
    bakeSeconds?: number;
    healthTimeoutSeconds: number;
    keep: number;
    lockTimeoutSeconds: number;
    envPlain: string[];
    envSecret: string[];
    /** nginx listen: a port, or address:port. */
    listen: number | string;
    serverName: string;
    /** @default undefined (plain HTTP) */
    tlsCert?: string;
    /** @default undefined */
    tlsKey?: string;
    /** Registry to log in to with the password on stdin. @default undefined (no login) */
    registryUser?: string;
    /** @default the image's registry */
    registry?: string;
    /**
     * Changes when the env file's content changes, so Pulumi re-runs the deploy (an update, not
     * a replacement); an HMAC under a per-service random key, so it reveals nothing of the values.
     * @default undefined
     */
    envVersion?: string;
    /**
     * The service's own container network: each color gets a fixed address in it and nginx talks
     * to it directly, with no published port. @default undefined (publish 127.0.0.1:<color port>)
     */
    subnet?: string;
    /**
     * The SSH user is not root: the script runs through `sudo -n /bin/sh <script>`, which the one
     * line of `sudoersFile` allows (docs/vm.md#host-model). @default false (logged in as root)
     */
    sudo?: boolean;
    /** Host-side directories (tests point them at a sandbox). @default the script's defaults */
    stateDir?: string;
    nginxConf?: string;
    nginxDir?: string;
}

function flags(o: Record<string, string | number | undefined>): string {
    return Object.entries(o)
        .filter(([, v]) => v !== undefined && v !== "")
        .map(([k, v]) => `--${k}=${sq(v!)}`)
        .join(" ");
}

/** The options every subcommand shares (where things are, which runtime). */
function common(
    o: Pick<
        DeployOptions,
        | "service"
        | "runtime"
        | "stateDir"
        | "nginxConf"
        | "nginxDir"
        | "bluePort"
        | "greenPort"
        | "readinessPath"
        | "drainSeconds"
        | "healthTimeoutSeconds"
        | "lockTimeoutSeconds"
        | "listen"
        | "serverName"
        | "tlsCert"
        | "tlsKey"
        | "subnet"
        | "sudo"
    >,
) {
    return {
        service: o.service,
        runtime: o.runtime,
        "state-dir": o.stateDir,
        "nginx-conf": o.nginxConf,
        "nginx-dir": o.nginxDir,
        "blue-port": o.bluePort,
        "green-port": o.greenPort,
        "readiness-path": o.readinessPath,
        drain: o.drainSeconds,
        "health-timeout": o.healthTimeoutSeconds,
        "lock-timeout": o.lockTimeoutSeconds,
        listen: o.listen,
        "server-name": o.serverName,
        "tls-cert": o.tlsCert,
        "tls-key": o.tlsKey,
        subnet: o.subnet,
    };
}

/** How the script is called: as root, or through the host model's sudo line. Pure. */
export function invoke(p: HostPaths, o: { sudo?: boolean }): string {
    return o.sudo ? `sudo -n /bin/sh ${sq(p.script)}` : `sh ${sq(p.script)}`;
}

/** The deploy: env file locked down, then the script with every fact as a flag. Pure. */
export function deployCommand(p: HostPaths, o: DeployOptions): string {
    const f = flags({
        ...common(o),
        image: o.image,
        "image-platforms": [...o.imagePlatforms].sort().join(","),
        arch: o.arch,
        port: o.port,
        "liveness-path": o.livenessPath,
        "health-path": o.healthPath,
        memory: o.memory,
        cpus: o.cpus,
        restart: o.restart,
        bake: o.bakeSeconds,
        keep: o.keep,
        "env-file": p.envFile,
        registry: o.registryUser ? o.registry : undefined,
        "registry-user": o.registryUser,
        "env-version": o.envVersion,
    });
    const env = [
        ...o.envPlain.map((n) => `--env-plain=${n}`),
        ...o.envSecret.map((n) => `--env-secret=${n}`),
    ].join(" ");
    return `chmod 0600 ${sq(p.envFile)} && ${invoke(p, o)} deploy ${f}${env ? ` ${env}` : ""}`;
}

export type HostOptions = Parameters<typeof common>[0];

export const rollbackCommand = (p: HostPaths, o: HostOptions) =>
    `${invoke(p, o)} rollback ${flags(common(o))}`;
/** What serves: the active color's readiness and the front door's health path. Pure. */
export const statusCommand = (p: HostPaths, o: HostOptions & { healthPath?: string }) =>
    `${invoke(p, o)} status ${flags({ ...common(o), "health-path": o.healthPath })}`;
/** Removes the containers, the site, the network, the watchdog, the images and the secrets directory. Pure. */
export const removeCommand = (p: HostPaths, o: HostOptions) =>
    `${invoke(p, o)} remove ${flags({ ...common(o), "secrets-dir": p.secretsDir })}`;

/**
 * The watchdog check's flags, the one source of truth for its probe (TLS, listen, server name,
 * health path): watchdog-install writes exactly these into the check it schedules. Pure.
 */
function watchdogFlags(p: HostPaths, o: HostOptions & { healthPath: string }) {
    return { ...common(o), "health-path": o.healthPath, "webhook-file": p.webhookFile };
}

/**
 * The watchdog: a systemd timer (or cron) running watchdog-check every interval, with the flags
 * watchdogCheckCommand uses; the webhook file is made 0600 first. Pure.
 */
export function watchdogInstallCommand(
    p: HostPaths,
    o: HostOptions & { healthPath: string; intervalSeconds: number },
): string {
    return `${invoke(p, o)} watchdog-install ${flags({ ...watchdogFlags(p, o), interval: o.intervalSeconds })}`;
}

export function watchdogCheckCommand(p: HostPaths, o: HostOptions & { healthPath: string }): string {
    return `${invoke(p, o)} watchdog-check ${flags(watchdogFlags(p, o))}`;
}

/** The deploy's last line: `ACTIVE service=api color=green digest=sha256:... changed=true`. Pure. */
export function parseActive(stdout: string): { color: string; digest: string; changed: boolean } | undefined {
    const m = /^ACTIVE service=\S+ color=(blue|green) digest=(\S+) changed=(true|false)$/m.exec(stdout);
    return m ? { color: m[1], digest: m[2], changed: m[3] === "true" } : undefined;
}

/** PagerDuty's Events API v2 endpoint, which the watchdog posts PagerDuty destinations to. */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/** One destination of the watchdog: its type, what it hears, and its URL or integration key. */
export interface WatchdogDestination {
    type: "slack" | "pagerduty" | "webhook";
    events: readonly string[];
    /** The Slack or webhook URL, or the PagerDuty integration key. */
    secret: string;
    /** PagerDuty only: where events go. @default PAGERDUTY_EVENTS_URL */
    url?: string;
}

/**
 * The watchdog's destinations file (0600 on the host, read by deploy.sh's notify()): context lines
 * `#environment` and `#runbook`, then one tab-separated line per destination. A value holding a
 * tab or a newline would split the line, so it is refused naming the destination. Pure.
 */
export function watchdogNotifyFile(
    destinations: readonly WatchdogDestination[],
    ctx: { environment: string; runbookUrl: string },
): string {
    const bad = (v: string) => /[\t\r\n]/.test(v);
    const lines = [`#environment ${ctx.environment}`, `#runbook ${ctx.runbookUrl}`];
    destinations.forEach((d, i) => {
        if (bad(d.secret) || bad(d.url ?? ""))
            throw new Error(
                `watchdog destination ${i} (${d.type}): its URL or key holds a tab or a line break`,
            );
        const fields = [d.type, d.events.join(","), d.secret.trim()];
        if (d.type === "pagerduty") fields.push(d.url ?? PAGERDUTY_EVENTS_URL);
        lines.push(fields.join("\t"));
    });
    return `${lines.join("\n")}\n`;
}

/** The SSH user every host's script runs as root for, when it is not root itself. */
export const SUDOERS_PATH = "/etc/sudoers.d/service-deploy";

/**
 * The host model for a non-root deploy user (docs/vm.md#host-model): the user owns the service
 * directories under `root` and runs each service's deploy script as root through sudo, and
 * nothing else. Rootful podman (or docker), host nginx, root's crontab or systemd all stay as a
 * root login would have them; only the SSH login is unprivileged. `envKeep` lets a test keep its
 * own container configuration variables (the loopback lab); a host needs none. Pure.
 */
export function sudoersFile(user: string, root = "/opt/service-deploy", envKeep: string[] = []): string {
    if (!/^[a-z_][a-z0-9_-]*$/.test(user))
        throw new Error(`vm.hosts[].user: ${user} is not a Unix user name`);
    if (user === "root") throw new Error("vm.hosts[].user: root needs no sudoers file");
    if (!/^\/[A-Za-z0-9/_.-]+$/.test(root))
        throw new Error(`${root}: not an absolute path sudoers can match`);
    for (const v of envKeep)
        if (!/^[A-Z_][A-Z0-9_]*$/.test(v)) throw new Error(`${v}: not an environment variable name`);
    return [
        `# ${SUDOERS_PATH}: written from service-deploy's host model (docs/vm.md#host-model).`,
        `# ${user} runs the service-deploy script of each service as root, and nothing else.`,
        `Defaults:${user} !requiretty`,
        ...(envKeep.length ? [`Defaults:${user} env_keep += "${envKeep.join(" ")}"`] : []),
        `${user} ALL=(root) NOPASSWD: /bin/sh ${root}/*/service-deploy.sh *`,
        "",
    ].join("\n");
}

/**
 * Waits for a provisioned host's cloud-init (components/oci/cloud-init.ts) before the first
 * deploy: `cloud-init status --wait` under a timeout, then the prepare script's marker. On
 * failure it prints cloud-init's status and the last lines of its output log, and exits 1. Pure.
 */
export function cloudInitWaitCommand(timeoutSeconds: number, marker: string, logLines = 40): string {
    const log = "/var/log/cloud-init-output.log";
    return [
        `if timeout ${sq(timeoutSeconds)} cloud-init status --wait >/dev/null 2>&1 && test -f ${sq(marker)}; then`,
        `echo 'cloud-init finished: the host is prepared';`,
        `else rc=$?;`,
        `if [ "$rc" -eq 124 ]; then echo "cloud-init did not finish within ${timeoutSeconds} s" >&2; else echo "cloud-init failed (exit $rc) or the preparation did not complete (no ${marker})" >&2; fi;`,
        `cloud-init status --long >&2 || true;`,
        `echo 'last lines of ${log}:' >&2;`,
        `tail -n ${sq(logLines)} ${log} >&2 || echo 'cannot read ${log}; log in as the image admin user and run: sudo tail -n 100 ${log}' >&2;`,
        `exit 1; fi`,
    ].join(" ");
}
