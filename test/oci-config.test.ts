/**
 * vm.provision.oci: bad input is a config error naming the key, and nothing is registered. Each
 * case starts from the committed Pulumi.oci-staging.yaml and changes one thing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readStackFile } from "../scripts/offline";
import { ConfigError, parseStackConfig, shapeArchitecture } from "../components/config";

const ROOT = path.resolve(__dirname, "..");
const SECRETS = ["vmSshKey", "databaseUrl", "stripeApiKey", "oncallWebhook"];
const base = () => {
    const { config, secretKeys } = readStackFile(path.join(ROOT, "Pulumi.oci-staging.yaml"), [], []);
    for (const s of SECRETS) config[`service-deploy:${s}`] = `value-of-${s}`;
    return { config, secretKeys: [...secretKeys, ...SECRETS.map((s) => `service-deploy:${s}`)] };
};
const parse = (mutate: (vm: any, c: Record<string, string>) => void) => {
    const { config, secretKeys } = base();
    const vm = JSON.parse(config["service-deploy:vm"]);
    mutate(vm, config);
    config["service-deploy:vm"] = JSON.stringify(vm);
    return parseStackConfig({
        config,
        isSecret: (k) => secretKeys.includes(k),
        file: "Pulumi.oci-staging.yaml",
    });
};
const problems = (mutate: (vm: any, c: Record<string, string>) => void) => {
    try {
        parse(mutate);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    return [];
};

test("the committed Oracle stack parses, with Always Free sizes and the ARM shape", () => {
    const c = parse(() => {});
    const o = c.vm!.provision!.oci;
    assert.equal(o.shape, "VM.Standard.A1.Flex");
    assert.deepEqual([o.ocpus, o.memoryGiB, o.bootVolumeSizeGiB], [4, 24, 50]);
    assert.equal(c.vm!.hosts, undefined);
});

test("defaults are the Always Free A1 allowance when the sizes are left out", () => {
    const c = parse((vm) => {
        delete vm.provision.oci.ocpus;
        delete vm.provision.oci.memoryGiB;
        delete vm.provision.oci.bootVolumeSizeGiB;
        delete vm.provision.oci.shape;
    });
    const o = c.vm!.provision!.oci;
    assert.deepEqual(
        [o.shape, o.ocpus, o.memoryGiB, o.bootVolumeSizeGiB],
        ["VM.Standard.A1.Flex", 4, 24, 50],
    );
});

test("Ampere shapes are arm64, the others amd64", () => {
    for (const [shape, arch] of [
        ["VM.Standard.A1.Flex", "arm64"],
        ["VM.Standard.A2.Flex", "arm64"],
        ["BM.Standard.A1.160", "arm64"],
        ["VM.Standard.E4.Flex", "amd64"],
        ["VM.Standard3.Flex", "amd64"],
        ["VM.Standard.E2.1.Micro", "amd64"],
    ])
        assert.equal(shapeArchitecture(shape), arch, shape);
});

const cases: {
    name: string;
    mutate: (vm: any, c: Record<string, string>) => void;
    key: string;
    message: RegExp;
}[] = [
    {
        name: "a shape that is not ARM for an arm64 service",
        mutate: (vm) => (vm.provision.oci.shape = "VM.Standard.E4.Flex"),
        key: "service-deploy:vm.provision.oci.shape",
        message: /runs linux\/amd64 but services\[0\]\.architecture is arm64.*exec format error/,
    },
    {
        name: "SSH open to 0.0.0.0/0 in production",
        mutate: (vm, c) => {
            c["service-deploy:environment"] = "production";
            vm.provision.oci.sshSourceCidr = "0.0.0.0/0";
        },
        key: "service-deploy:vm.provision.oci.sshSourceCidr",
        message: /0\.0\.0\.0\/0 opens SSH to the whole internet in production/,
    },
    {
        name: "a missing compartment",
        mutate: (vm) => delete vm.provision.oci.compartmentId,
        key: "service-deploy:vm.provision.oci.compartmentId",
        message: /required: the OCID of the compartment/,
    },
    {
        name: "vm.hosts and vm.provision together",
        mutate: (vm) =>
            (vm.hosts = [
                {
                    name: "arm-1",
                    address: "192.0.2.1",
                    hostKey:
                        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBMERwmXhS0bfXXE9NbnHJ2AB1PUkM12jJ4HeEgtYZJ+",
                },
            ]),
        key: "service-deploy:vm.provision",
        message: /vm\.hosts and vm\.provision are exclusive/,
    },
    {
        name: "neither vm.hosts nor vm.provision",
        mutate: (vm) => delete vm.provision,
        key: "service-deploy:vm.hosts",
        message: /set vm\.hosts .* or vm\.provision\.oci/,
    },
    {
        name: "a pinned image and an OS version together",
        mutate: (vm) => (vm.provision.oci.image.id = "ocid1.image.oc1.ap-tokyo-1.aaaaaaaaexample"),
        key: "service-deploy:vm.provision.oci.image.id",
        message: /image\.id and vm\.provision\.oci\.image\.operatingSystemVersion are exclusive/,
    },
    {
        name: "an existing subnet and a VCN CIDR together",
        mutate: (vm) => {
            vm.provision.oci.subnetId = "ocid1.subnet.oc1.ap-tokyo-1.aaaaaaaaexample";
            vm.provision.oci.vcnCidr = "10.1.0.0/16";
        },
        key: "service-deploy:vm.provision.oci.vcnCidr",
        message: /subnetId and vm\.provision\.oci\.vcnCidr are exclusive/,
    },
    {
        name: "certbot with certificate paths certbot does not write",
        mutate: (vm) => (vm.nginx.tlsCertificatePath = "/etc/ssl/api.pem"),
        key: "service-deploy:vm.nginx.tlsCertificatePath",
        message:
            /certbot writes the certificate to \/etc\/letsencrypt\/live\/api\.oci-staging\.example\.com\/fullchain\.pem/,
    },
    {
        name: "docker on Oracle Linux",
        mutate: (vm) => {
            vm.runtime = "docker";
            vm.provision.oci.image = { operatingSystem: "Oracle Linux" };
        },
        key: "service-deploy:vm.runtime",
        message: /Oracle Linux ships podman/,
    },
    {
        name: "TLS files from an undeclared secret",
        mutate: (vm) =>
            (vm.provision.oci.tls = { mode: "files", certificateSecret: "nope", keySecret: "vmSshKey" }),
        key: "service-deploy:vm.provision.oci.tls.certificateSecret",
        message: /must name a declared secret/,
    },
];

for (const c of cases)
    test(`config error naming the key: ${c.name}`, () => {
        const found = problems(c.mutate);
        const p = found.find((x) => x.key === c.key);
        assert.ok(p, `expected a problem at ${c.key}, got ${JSON.stringify(found)}`);
        assert.match(p.message, c.message);
    });
