/**
 * Writes the provisioned VM's `#cloud-config` for the loopback lab (test/oci/prepare-lab.sh):
 * the same builder the stack uses (components/oci/cloud-init.ts), with a real host key, deploy
 * key and a self-made certificate made by the lab, tls mode "files".
 * Usage: tsx test/oci/user-data.ts <lab dir> (reads host_ed25519{,.pub}, deploy_ed25519.pub, tls.crt, tls.key)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cloudInitUserData } from "../../components/oci/cloud-init";
import { openPorts } from "../../components/oci/host";

const dir = process.argv[2];
const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
process.stdout.write(
    cloudInitUserData({
        user: "deploy",
        authorizedKey: read("deploy_ed25519.pub").trim(),
        runtime: "podman",
        operatingSystem: "Canonical Ubuntu",
        hostKey: { privateOpenssh: read("host_ed25519"), publicOpenssh: read("host_ed25519.pub") },
        tls: {
            mode: "files",
            certificatePath: "/etc/ssl/service-deploy/fullchain.pem",
            keyPath: "/etc/ssl/service-deploy/privkey.pem",
            certificate: read("tls.crt"),
            key: read("tls.key"),
        },
        ports: openPorts("files"),
    }),
);
