/**
 * The provisioned VM's preparation, as cloud-init user data (`#cloud-config`): the deploy user,
 * the pinned host key, the container runtime and nginx, the host firewall, TLS, and a completion
 * marker the first deploy waits for. Built by pure functions, so tests read the exact document,
 * `cloud-init schema --config-file` validates it (test/oci-cloud-init.test.ts), and the loopback
 * run feeds the very same document to a fresh Debian host.
 *
 * Module order (cloud-init 22.4, /etc/cloud/cloud.cfg): `users_groups` and `ssh` (host keys)
 * run in the init stage, before sshd accepts connections; `write_files` with `defer: true`,
 * package installs and `runcmd` run in the final stage. So the deploy's first SSH connection
 * meets the pinned host key and the deploy user, then waits for the final stage
 * (`cloud-init status --wait`).
 */
import * as YAML from "yaml";
import { SUDOERS_PATH, sudoersFile } from "../vm/commands";

/** Where the prepare script lives on the host, and the marker it leaves when it is done. */
export const PREPARE_SCRIPT = "/usr/local/sbin/service-deploy-prepare";
export const PREPARED_MARKER = "/var/lib/service-deploy/prepared";

export type OperatingSystem = "Canonical Ubuntu" | "Oracle Linux";

export type TlsSetup =
    | { mode: "certbot"; email: string; serverName: string }
    | { mode: "files"; certificatePath: string; keyPath: string; certificate: string; key: string };

export interface CloudInitOptions {
    /** The deploy user. */
    user: string;
    /** The deploy user's SSH public key line. */
    authorizedKey: string;
    runtime: "docker" | "podman";
    operatingSystem: OperatingSystem;
    /** The host's ed25519 key pair, OpenSSH format (components/oci/host-identity.ts). */
    hostKey: { privateOpenssh: string; publicOpenssh: string };
    tls: TlsSetup;
    /** TCP ports the host firewall opens (443, and 80 for certbot). */
    ports: number[];
}

/** The distribution's packages for a runtime, nginx and TLS. Pure. */
export function packagesFor(
    os: OperatingSystem,
    runtime: "docker" | "podman",
    tls: TlsSetup["mode"],
): string[] {
    const rt = runtime === "podman" ? ["podman"] : os === "Oracle Linux" ? [] : ["docker.io"];
    // Oracle Linux has certbot in EPEL only; the prepare script enables it there first.
    return [...rt, "nginx", "sudo", ...(tls === "certbot" && os !== "Oracle Linux" ? ["certbot"] : [])];
}

/** The nginx default site's web root, where certbot's HTTP-01 challenge files go. Pure. */
export function webRootFor(os: OperatingSystem): string {
    return os === "Oracle Linux" ? "/usr/share/nginx/html" : "/var/www/html";
}

/**
 * The deploy user and exactly the permissions of the VM host model (docs/vm.md#host-model): its
 * key, no password; `/opt/service-deploy` owned by it; the one sudoers line that lets it run each
 * service's deploy script as root (`sudoersFile`, the project's own generator, mode 0440, checked
 * with `visudo -cf`), and nothing else. The runtime stays rootful, driven by that script. Kept in
 * this one function so a change of the host model is one edit. Pure.
 */
export function deployUserSetup(user: string, authorizedKey: string) {
    return {
        users: [
            {
                name: user,
                shell: "/bin/bash",
                lock_passwd: true,
                ssh_authorized_keys: [authorizedKey],
            },
        ],
        files: [{ path: SUDOERS_PATH, permissions: "0440", owner: "root:root", content: sudoersFile(user) }],
        /** Lines of the prepare script, run after the packages are installed. */
        script: [
            `visudo -cf ${SUDOERS_PATH}`,
            `install -d -o ${user} -g ${user} -m 0755 /opt/service-deploy`,
            "install -d -m 0755 /var/lib/service-deploy",
        ],
    };
}

/**
 * Opens the ports in the host firewall. Oracle's Ubuntu images ship iptables rules
 * (/etc/iptables/rules.v4) that REJECT everything but 22 even when the VCN allows it: insert an
 * ACCEPT ahead of the REJECT and save. Oracle Linux runs firewalld, and SELinux forbids nginx to
 * connect to the containers until `httpd_can_network_connect` is on. A host with neither (Debian)
 * needs nothing. Pure.
 */
export function hostFirewallLines(ports: number[]): string[] {
    const sorted = [...ports].sort((a, b) => a - b);
    return [
        "if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then",
        ...sorted.map((p) => `  firewall-cmd --permanent --add-port=${p}/tcp`),
        "  firewall-cmd --reload",
        "elif command -v iptables >/dev/null 2>&1 && iptables -S INPUT | grep -q -- '-j REJECT'; then",
        ...sorted.map((p) => `  iptables -I INPUT -p tcp -m state --state NEW --dport ${p} -j ACCEPT`),
        "  if command -v netfilter-persistent >/dev/null 2>&1; then netfilter-persistent save; fi",
        "fi",
        "if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then setsebool -P httpd_can_network_connect 1; fi",
    ];
}

/** certbot's first certificate, retried while DNS does not point at the VM yet. Pure. */
export function certbotLines(os: OperatingSystem, email: string, serverName: string): string[] {
    const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
    return [
        ...(os === "Oracle Linux"
            ? ["dnf install -y oracle-epel-release-el$(rpm -E %rhel) && dnf install -y certbot"]
            : []),
        "i=0",
        `until certbot certonly --webroot -w ${webRootFor(os)} -d ${q(serverName)} -m ${q(email)} --agree-tos -n --deploy-hook 'nginx -s reload'; do`,
        "  i=$((i + 1))",
        `  if [ "$i" -ge 30 ]; then echo "certbot could not get a certificate for ${serverName}: point its DNS A record at this VM's public IP (the publicIp output), then run: sudo ${PREPARE_SCRIPT}" >&2; exit 1; fi`,
        `  echo "certbot failed (try $i of 30; does ${serverName} resolve to this VM yet?); retrying in 30 s" >&2`,
        "  sleep 30",
        "done",
    ];
}

/** The prepare script cloud-init runs once the packages are in: POSIX sh, `set -eu`. Pure. */
export function prepareScript(o: CloudInitOptions): string {
    const user = deployUserSetup(o.user, o.authorizedKey);
    return [
        "#!/bin/sh",
        "# service-deploy: prepares this VM for the deploy user (written by cloud-init).",
        "set -eu",
        'echo "service-deploy prepare: the deploy user\'s sudoers line and directories"',
        ...user.script,
        'echo "service-deploy prepare: host firewall"',
        ...hostFirewallLines(o.ports),
        'echo "service-deploy prepare: nginx"',
        "systemctl enable --now nginx",
        ...(o.tls.mode === "certbot"
            ? [
                  'echo "service-deploy prepare: TLS certificate (certbot)"',
                  ...certbotLines(o.operatingSystem, o.tls.email, o.tls.serverName),
              ]
            : []),
        `touch ${PREPARED_MARKER}`,
        'echo "service-deploy prepare: done"',
        "",
    ].join("\n");
}

/** The whole `#cloud-config` document. Carries the host's private key: treat it as a secret. Pure. */
export function cloudInitUserData(o: CloudInitOptions): string {
    const user = deployUserSetup(o.user, o.authorizedKey);
    const files: Record<string, unknown>[] = [
        ...user.files,
        { path: PREPARE_SCRIPT, permissions: "0700", owner: "root:root", content: prepareScript(o) },
    ];
    if (o.tls.mode === "files") {
        files.push(
            {
                path: o.tls.certificatePath,
                permissions: "0644",
                owner: "root:root",
                content: o.tls.certificate,
            },
            { path: o.tls.keyPath, permissions: "0600", owner: "root:root", content: o.tls.key },
        );
    }
    const doc = {
        users: ["default", ...user.users],
        disable_root: true,
        ssh_pwauth: false,
        // The host key is the one the program generated and the deploy pins; no other type is made.
        ssh_deletekeys: true,
        ssh_genkeytypes: ["ed25519"],
        ssh_keys: {
            ed25519_private: o.hostKey.privateOpenssh,
            ed25519_public: o.hostKey.publicOpenssh,
        },
        package_update: true,
        packages: packagesFor(o.operatingSystem, o.runtime, o.tls.mode),
        write_files: files,
        runcmd: [["/bin/sh", PREPARE_SCRIPT]],
        final_message: "service-deploy: cloud-init finished after $UPTIME seconds",
    };
    return `#cloud-config\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}
