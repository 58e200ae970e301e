/**
 * The Oracle-native VM target under mocks (Pulumi.oci-staging.yaml): the whole graph from the
 * host key to the alarms, what each resource receives, and that nothing of AWS or GCP is made.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as YAML from "yaml";
import { graphOf, redact, type Graph } from "./mocks";
import { policyGraph } from "../scripts/offline";
import { evaluatePack } from "../scripts/policy-engine";
import { policyConfigFor, stackConfigOf } from "../scripts/policy-config";
import { policies } from "../policies/policies";
import { cite } from "../components/failures";
import { alarmKinds, stampedService } from "../policies/alarms";
import { vmWorkloads } from "../policies/lib";
import { cloudInitWaitCommand, HOST_SCRIPT_PARTS } from "../components/vm/commands";
import { PREPARED_MARKER } from "../components/oci/cloud-init";
import { imageQuery } from "../components/oci/instance";
import { onsSubscriptions } from "../components/oci/monitoring";
import * as pulumi from "@pulumi/pulumi";

let g: Graph;
const graph = async () => (g ??= await graphOf("oci-staging"));
const file = YAML.parse(fs.readFileSync("Pulumi.oci-staging.yaml", "utf8")).config;
const oci = file["service-deploy:vm"].provision.oci;
const ids = (type: string) => Object.fromEntries(g.all(type).map((r) => [r.name, r.state.id]));

test("an Oracle-only stack: no AWS or GCP resource, provider or invoke", async () => {
    const g = await graph();
    const clouds = new Set(g.result.resources.map((r) => r.type.split(":")[0]));
    assert.deepEqual([...clouds].sort(), ["command", "oci", "random", "service-deploy", "tls"]);
    assert.ok(!Object.keys(file).some((k) => k.startsWith("aws:") || k.startsWith("gcp:")));
});

test("the instance: A1 Flex with the configured OCPUs, memory and boot volume, the newest aarch64 image, a public IP in the NSG", async () => {
    const g = await graph();
    const vm = g.inputs(g.one("oci:Core/instance:Instance"));
    assert.equal(vm.shape, "VM.Standard.A1.Flex");
    assert.deepEqual(vm.shapeConfig, { ocpus: 4, memoryInGbs: 24 });
    assert.equal(vm.availabilityDomain, oci.availabilityDomain);
    assert.equal(vm.compartmentId, oci.compartmentId);
    assert.equal(vm.sourceDetails.sourceType, "image");
    assert.equal(vm.sourceDetails.bootVolumeSizeInGbs, "50");
    // The offline lookup answers an aarch64 image only when the filter asks for one.
    assert.equal(
        vm.sourceDetails.sourceId,
        `ocid1.image.oc1.ap-tokyo-1.${Buffer.from("Canonical-Ubuntu-22.04-aarch64-2026.11.30-0").toString("hex").slice(0, 40)}`,
    );
    assert.ok(
        g.result.notes.some((n) =>
            n.startsWith("OCI image lookup (Canonical Ubuntu 22.04, VM.Standard.A1.Flex)"),
        ),
    );
    assert.equal(vm.createVnicDetails.assignPublicIp, "true");
    assert.equal(vm.createVnicDetails.subnetId, ids("oci:Core/subnet:Subnet")["vm-oci-net-public"]);
    assert.deepEqual(vm.createVnicDetails.nsgIds, [
        ids("oci:Core/networkSecurityGroup:NetworkSecurityGroup")["vm-oci-net-nsg"],
    ]);
    assert.deepEqual(g.one("oci:Core/instance:Instance").options.ignoreChanges, ["sourceDetails.sourceId"]);
});

test("the image filter: newest first, available, for the shape, aarch64 by display name", () => {
    const q = imageQuery("ocid1.compartment.oc1..x", "VM.Standard.A1.Flex", "arm64", "Canonical Ubuntu");
    assert.deepEqual(q, {
        compartmentId: "ocid1.compartment.oc1..x",
        operatingSystem: "Canonical Ubuntu",
        operatingSystemVersion: "22.04",
        shape: "VM.Standard.A1.Flex",
        state: "AVAILABLE",
        sortBy: "TIMECREATED",
        sortOrder: "DESC",
        filters: [{ name: "display_name", values: [".*-aarch64-.*"], regex: true }],
    });
    const x86 = imageQuery("c", "VM.Standard.E4.Flex", "amd64", "Oracle Linux");
    assert.equal(x86.operatingSystemVersion, "9");
    const re = new RegExp((x86.filters as any)[0].values[0]);
    assert.ok(re.test("Oracle-Linux-9.4-2024.08.29-0") && !re.test("Oracle-Linux-9.4-aarch64-2024.08.29-0"));
});

test("the network: 443 and 80 from anywhere, 22 from the configured CIDR, nothing else in; the subnet's security list lets nothing in", async () => {
    const g = await graph();
    const rules = g
        .all("oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule")
        .map((r) => g.inputs(r));
    const ingress = rules
        .filter((r) => r.direction === "INGRESS")
        .map((r) => ({
            protocol: r.protocol,
            source: r.source,
            sourceType: r.sourceType,
            ports: r.tcpOptions.destinationPortRange,
        }))
        .sort((a, b) => a.ports.min - b.ports.min);
    assert.deepEqual(ingress, [
        { protocol: "6", source: oci.sshSourceCidr, sourceType: "CIDR_BLOCK", ports: { min: 22, max: 22 } },
        { protocol: "6", source: "0.0.0.0/0", sourceType: "CIDR_BLOCK", ports: { min: 80, max: 80 } },
        { protocol: "6", source: "0.0.0.0/0", sourceType: "CIDR_BLOCK", ports: { min: 443, max: 443 } },
    ]);
    assert.deepEqual(
        rules.filter((r) => r.direction === "EGRESS").map((r) => [r.protocol, r.destination]),
        [["all", "0.0.0.0/0"]],
    );
    const list = g.inputs(g.one("oci:Core/securityList:SecurityList"));
    assert.deepEqual(list.ingressSecurityRules ?? [], []);
    const subnet = g.inputs(g.one("oci:Core/subnet:Subnet"));
    assert.deepEqual(subnet.securityListIds, [
        ids("oci:Core/securityList:SecurityList")["vm-oci-net-egress-only"],
    ]);
    assert.equal(subnet.prohibitPublicIpOnVnic, false);
    const routes = g.inputs(g.one("oci:Core/routeTable:RouteTable"));
    assert.deepEqual(routes.routeRules, [
        {
            destination: "0.0.0.0/0",
            destinationType: "CIDR_BLOCK",
            networkEntityId: ids("oci:Core/internetGateway:InternetGateway")["vm-oci-net-igw"],
        },
    ]);
    assert.equal(subnet.routeTableId, ids("oci:Core/routeTable:RouteTable")["vm-oci-net-routes"]);
});

test("the metadata carries cloud-init with the deploy user's key and the generated host key, as a secret", async () => {
    const g = await graph();
    const r = g.one("oci:Core/instance:Instance");
    assert.equal(g.redacted(r).metadata, "[secret]", "the host's private key is in the user data");
    const md = g.inputs(r).metadata;
    assert.deepEqual(Object.keys(md), ["user_data"], "no admin key unless adminSshPublicKey is set");
    const userData = Buffer.from(md.user_data, "base64").toString("utf8");
    assert.match(userData, /^#cloud-config\n/);
    const doc = YAML.parse(userData);
    const deploy = doc.users.find((u: any) => u.name === "deploy");
    assert.deepEqual(deploy.ssh_authorized_keys, [oci.sshPublicKey]);
    const key = g.one("tls:index/privateKey:PrivateKey");
    assert.equal(g.inputs(key).algorithm, "ED25519");
    assert.equal(doc.ssh_keys.ed25519_private, key.state.privateKeyOpenssh);
    assert.equal(doc.ssh_keys.ed25519_public.trim(), String(key.state.publicKeyOpenssh).trim());
    assert.deepEqual(doc.ssh_genkeytypes, ["ed25519"], "no other host key type that would not match the pin");
});

test("the host key is pinned in every SSH connection of the deploy, to the instance's public IP, and the first deploy waits for cloud-init", async () => {
    const g = await graph();
    const pinned = String(g.one("tls:index/privateKey:PrivateKey").state.publicKeyOpenssh).trim();
    const commands = [...g.all("command:remote:Command"), ...g.all("command:remote:CopyToRemote")];
    assert.equal(commands.length, 7 + HOST_SCRIPT_PARTS.length, "the host script's parts are copied too");
    for (const c of commands) {
        const conn = g.inputs(c).connection;
        assert.equal(conn.hostKey, pinned, c.name);
        assert.equal(conn.host, "203.0.113.10", c.name);
        assert.equal(conn.user, "deploy", c.name);
    }
    const wait = g.one("command:remote:Command", "vm-oci-cloud-init");
    assert.equal(g.inputs(wait).create, cloudInitWaitCommand(20 * 60, PREPARED_MARKER));
    assert.deepEqual(g.inputs(wait).triggers, [g.one("oci:Core/instance:Instance").state.id]);
    const prepare = g.one("command:remote:Command", "vm-api-oci-prepare");
    assert.ok(prepare.dependencies.includes(wait.urn), "the first command on the host runs after cloud-init");
    const out = (g.result.outputs.services as any).api;
    assert.equal(out.hostKey, pinned.split(" ").slice(0, 2).join(" "));
    assert.equal(out.publicIp, "203.0.113.10");
    assert.match(out.instanceId, /^ocid1\.instance\.oc1\./);
    assert.equal(out.url, "https://api.oci-staging.example.com");
    assert.equal(out.deployed.digest, file["service-deploy:services"][0].image.ref.split("@")[1]);
});

test("alarms: a Health Checks monitor on the health path, failed-check and p95 alarms on it, both notifying the ONS topic", async () => {
    const g = await graph();
    const monitor = g.one("oci:HealthChecks/httpMonitor:HttpMonitor");
    const m = g.inputs(monitor);
    assert.deepEqual(
        [m.protocol, m.targets, m.port, m.path],
        ["HTTPS", ["api.oci-staging.example.com"], 443, "/health"],
    );
    const topic = g.one("oci:Ons/notificationTopic:NotificationTopic").state.id;
    const alarms = g.all("oci:Monitoring/alarm:Alarm").map((a) => g.inputs(a));
    assert.equal(alarms.length, 2);
    for (const a of alarms) {
        assert.deepEqual(a.destinations, [topic]);
        assert.equal(a.namespace, "oci_healthchecks");
        assert.ok(a.query.includes(`resourceId = "${monitor.state.id}"`), a.query);
        assert.equal(a.freeformTags["service-deploy-service"], "api");
    }
    assert.deepEqual(alarms.map((a) => a.query.split("[")[0]).sort(), ["HTTP.RequestTime", "HTTP.isHealthy"]);
    assert.ok(
        alarms.some((a) => a.query.endsWith("> 500")),
        "p95 threshold from alarms.p95LatencyMs",
    );
    const subs = g.all("oci:Ons/subscription:Subscription");
    assert.deepEqual(
        subs.map((s) => [s.name, g.inputs(s).topicId, g.redacted(s).protocol, g.redacted(s).endpoint]).sort(),
        [
            ["vm-api-oci-uptime-oncall-email", topic, "EMAIL", "oncall-staging@example.com"],
            ["vm-api-oci-uptime-oncall-slack", topic, "SLACK", "[secret]"],
        ],
    );
});

test("ONS subscriptions per destination that hears alerts: EMAIL, SLACK, PAGERDUTY's enqueue URL, CUSTOM_HTTPS", async () => {
    const key = pulumi.secret("pd-key");
    const subs = onsSubscriptions([
        { type: "email", name: "e", events: ["alerts"], address: "a@example.com" },
        {
            type: "slack",
            name: "s",
            events: ["alerts", "recoveries"],
            webhookUrl: pulumi.secret("https://hooks.slack.com/services/T/B/x"),
        },
        { type: "slack", name: "gcp-only", events: ["alerts"], channel: "#oncall" },
        { type: "pagerduty", name: "p", events: ["alerts"], integrationKey: key },
        {
            type: "webhook",
            name: "w",
            events: ["alerts"],
            url: pulumi.secret("https://alerts.example.com/hook"),
        },
        { type: "email", name: "quiet", events: ["recoveries"], address: "b@example.com" },
    ]);
    assert.deepEqual(
        subs.map((s) => [s.name, s.protocol, s.secret]),
        [
            ["e", "EMAIL", false],
            ["s", "SLACK", true],
            ["p", "PAGERDUTY", true],
            ["w", "CUSTOM_HTTPS", true],
        ],
    );
    const pd = await new Promise((r) => pulumi.output(subs[2].endpoint).apply(r));
    assert.equal(pd, "https://events.pagerduty.com/integration/pd-key/enqueue");
});

test("service-has-alarms counts the OCI alarms by their stamps: error-rate and latency for the service", async () => {
    const g = await graph();
    const pg = policyGraph(g.result);
    const stamped = pg.filter((r) => stampedService(r.props) === "api");
    assert.deepEqual(stamped.map((r) => r.type).sort(), [
        "oci:HealthChecks/httpMonitor:HttpMonitor",
        "oci:Monitoring/alarm:Alarm",
        "oci:Monitoring/alarm:Alarm",
    ]);
    const kinds = stamped
        .filter((r) => r.type === "oci:Monitoring/alarm:Alarm")
        .flatMap((r) => alarmKinds(r.props));
    assert.deepEqual(kinds.sort(), ["error-rate", "latency"]);
    const e = await evaluatePack(policies, pg, {
        config: policyConfigFor(stackConfigOf(g.result.file)),
        stackTags: {},
    });
    assert.deepEqual(
        e.violations.map((v) => v.message),
        [],
    );
});

test("no secret of the stack appears in plain text in any recorded input", async () => {
    const g = await graph();
    const text = JSON.stringify(g.result.resources.map((r) => redact(r.inputs)));
    for (const s of g.result.secretValues)
        assert.ok(!text.includes(s), `a secret leaked: ${s.slice(0, 24)}...`);
});

test("the VM policies see the Oracle stack's deploy: without the OCI alarms, or with an amd64-only image on the A1, the pack refuses it", async () => {
    const g = await graph();
    const pg = policyGraph(g.result);
    const config = policyConfigFor(stackConfigOf(g.result.file));
    const deploy = pg.find((r) => r.name === "vm-api-oci-deploy")!;
    assert.deepEqual(
        vmWorkloads(deploy.props).map((w) => w.service),
        ["api"],
        "the deploy call is recognized as the VM workload",
    );
    const noAlarms = await evaluatePack(
        policies,
        pg.filter((r) => r.type !== "oci:Monitoring/alarm:Alarm"),
        { config, stackTags: {} },
    );
    assert.deepEqual(
        noAlarms.violations.map((v) => [v.policy, v.message]),
        [["service-has-alarms", cite("SD-016", 'VM service "api" has no error-rate alarm.')]],
        "the Health Checks monitor still counts as the uptime alarm",
    );
    const amd64Only = pg.map((r) =>
        r === deploy
            ? {
                  ...r,
                  props: {
                      ...r.props,
                      create: String(r.props.create).replace(
                          /--image-platforms='[^']*'/,
                          "--image-platforms='linux/amd64'",
                      ),
                  },
              }
            : r,
    );
    const wrongArch = await evaluatePack(policies, amd64Only, { config, stackTags: {} });
    assert.ok(
        wrongArch.violations.some((v) => v.policy === "image-platform-matches-target"),
        JSON.stringify(wrongArch.violations.map((v) => `${v.policy}: ${v.message}`)),
    );
});
