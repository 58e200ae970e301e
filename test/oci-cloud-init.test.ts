/**
 * The provisioned VM's cloud-init user data: the document the program really puts in the
 * instance metadata (decoded from the mock run of Pulumi.oci-staging.yaml) passes cloud-init's
 * own schema checker (Debian's cloud-init 22.4, `cloud-init schema --config-file`), and the
 * preparation pieces say exactly what they should.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { graphOf, type Graph } from "./mocks";
import { deployUserSetup, hostFirewallLines, packagesFor, prepareScript } from "../components/oci/cloud-init";
import { ingressRules } from "../components/oci/network";
import { openPorts } from "../components/oci/host";
import { SUDOERS_PATH, sudoersFile } from "../components/vm/commands";

let g: Graph;
const userData = async () => {
    g ??= await graphOf("oci-staging");
    return Buffer.from(g.inputs(g.one("oci:Core/instance:Instance")).metadata.user_data, "base64").toString(
        "utf8",
    );
};
const schema = (text: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oci-ci-"));
    const f = path.join(dir, "user-data");
    fs.writeFileSync(f, text, { mode: 0o600 });
    const r = spawnSync("cloud-init", ["schema", "--config-file", f], { encoding: "utf8" });
    fs.rmSync(dir, { recursive: true });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
};

test("the user data in the instance metadata passes cloud-init's schema checker", async () => {
    const r = schema(await userData());
    assert.ok(r.ok, r.out);
    assert.match(r.out, /Valid cloud-config/);
});

test("the schema checker refuses the same document with one field broken", async () => {
    const doc = YAML.parse(await userData());
    doc.ssh_genkeytypes = [];
    const r = schema(`#cloud-config\n${YAML.stringify(doc)}`);
    assert.ok(!r.ok);
    assert.match(r.out, /ssh_genkeytypes: \[\] is too short/);
});

test("the prepare script is valid POSIX sh with set -eu and ends with the completion marker", async () => {
    const doc = YAML.parse(await userData());
    const script = doc.write_files.find((f: any) => f.path === "/usr/local/sbin/service-deploy-prepare");
    assert.equal(script.permissions, "0700");
    assert.deepEqual(doc.runcmd, [["/bin/sh", "/usr/local/sbin/service-deploy-prepare"]]);
    execFileSync("sh", ["-n", "-c", script.content]);
    assert.match(script.content, /^#!\/bin\/sh\n.*\nset -eu\n/);
    assert.match(
        script.content,
        /touch \/var\/lib\/service-deploy\/prepared\necho "service-deploy prepare: done"\n$/,
    );
    assert.match(
        script.content,
        /certbot certonly --webroot -w \/var\/www\/html -d 'api\.oci-staging\.example\.com'/,
    );
    assert.deepEqual(doc.packages, ["podman", "nginx", "sudo", "certbot"]);
});

test("the deploy user: its key, no password, /opt/service-deploy, and the host model's one sudoers line, checked by visudo", () => {
    const u = deployUserSetup("deploy", "ssh-ed25519 AAAA deploy@ci");
    assert.deepEqual(u.users, [
        {
            name: "deploy",
            shell: "/bin/bash",
            lock_passwd: true,
            ssh_authorized_keys: ["ssh-ed25519 AAAA deploy@ci"],
        },
    ]);
    assert.deepEqual(u.files, [
        { path: SUDOERS_PATH, permissions: "0440", owner: "root:root", content: sudoersFile("deploy") },
    ]);
    assert.match(
        u.files[0].content,
        /^deploy ALL=\(root\) NOPASSWD: \/bin\/sh \/opt\/service-deploy\/\*\/service-deploy\.sh \*$/m,
    );
    assert.deepEqual(u.script, [
        `visudo -cf ${SUDOERS_PATH}`,
        "install -d -o deploy -g deploy -m 0755 /opt/service-deploy",
        "install -d -m 0755 /var/lib/service-deploy",
    ]);
});

test("host firewall: Ubuntu's iptables REJECT gets ACCEPTs ahead of it, Oracle Linux's firewalld the ports, SELinux lets nginx connect", () => {
    assert.deepEqual(hostFirewallLines([443, 80]), [
        "if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then",
        "  firewall-cmd --permanent --add-port=80/tcp",
        "  firewall-cmd --permanent --add-port=443/tcp",
        "  firewall-cmd --reload",
        "elif command -v iptables >/dev/null 2>&1 && iptables -S INPUT | grep -q -- '-j REJECT'; then",
        "  iptables -I INPUT -p tcp -m state --state NEW --dport 80 -j ACCEPT",
        "  iptables -I INPUT -p tcp -m state --state NEW --dport 443 -j ACCEPT",
        "  if command -v netfilter-persistent >/dev/null 2>&1; then netfilter-persistent save; fi",
        "fi",
        "if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then setsebool -P httpd_can_network_connect 1; fi",
    ]);
});

test("80 is open only when certbot needs it, in the NSG and on the host alike", () => {
    assert.deepEqual(openPorts("certbot"), [443, 80]);
    assert.deepEqual(openPorts("files"), [443]);
    assert.deepEqual(
        ingressRules("198.51.100.0/24", false).map((r) => [r.port, r.source]),
        [
            [443, "0.0.0.0/0"],
            [22, "198.51.100.0/24"],
        ],
    );
});

test("packages per OS: docker.io on Ubuntu, podman everywhere, certbot from EPEL on Oracle Linux", () => {
    assert.deepEqual(packagesFor("Canonical Ubuntu", "docker", "files"), ["docker.io", "nginx", "sudo"]);
    assert.deepEqual(packagesFor("Oracle Linux", "podman", "certbot"), ["podman", "nginx", "sudo"]);
    const ol = prepareScript({
        user: "deploy",
        authorizedKey: "k",
        runtime: "podman",
        operatingSystem: "Oracle Linux",
        hostKey: { privateOpenssh: "x", publicOpenssh: "y" },
        tls: { mode: "certbot", email: "a@example.com", serverName: "api.example.com" },
        ports: [443, 80],
    });
    assert.match(ol, /dnf install -y oracle-epel-release-el\$\(rpm -E %rhel\) && dnf install -y certbot/);
    assert.match(ol, /-w \/usr\/share\/nginx\/html/);
});
