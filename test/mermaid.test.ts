/**
 * `npm run plan -- --mermaid` and the resource graphs in docs/resource-graphs.md: the renderer on
 * small hand-built graphs (grouping, ids, edge rules, determinism, secrets), and every committed
 * stack's graph on that page against what the real CLI prints today.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { diagramOf, labelText, renderMermaid, sanitizeId, shortType } from "../scripts/mermaid";
import { block, embed, embeddedDiagram } from "../scripts/readme-diagrams";
import { knownStacks } from "../scripts/plan";
import { planCli, type RecordedResource } from "./mocks";

const rpc = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialSecretSig: string };

/** A recorded resource as runOffline makes it: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. */
function res(
    type: string,
    name: string,
    parent?: RecordedResource,
    deps: RecordedResource[] = [],
    extra: Partial<RecordedResource> = {},
): RecordedResource {
    const parentType = parent?.urn.split("::")[2];
    return {
        urn: `urn:pulumi:dev::proj::${parentType ? `${parentType}$${type}` : type}::${name}`,
        type,
        name,
        parent: parent?.urn,
        inputs: {},
        state: {},
        propertyDependencies: {},
        dependencies: deps.map((d) => d.urn),
        options: {},
        ...extra,
    };
}

/** A small AWS-shaped program: a target holding a network and a service, a stack-level secret. */
function sample() {
    const target = res("proj:aws:AwsTarget", "aws");
    const net = res("proj:aws:Network", "aws-net", target);
    const vpc = res("aws:ec2/vpc:Vpc", "aws-net-vpc", net);
    const subnet = res("aws:ec2/subnet:Subnet", "aws-net-private-0", net, [vpc]);
    const svc = res("proj:aws:FargateService", "aws-api", target);
    const sg = res("aws:ec2/securityGroup:SecurityGroup", "aws-api-tasks", svc, [vpc]);
    const task = res("aws:ecs/taskDefinition:TaskDefinition", "aws-api-task", svc);
    const ecs = res("aws:ecs/service:Service", "aws-api-service", svc, [subnet, sg, task]);
    const secrets = res("proj:index:StackSecrets", "secrets");
    const pw = res("random:index/randomPassword:RandomPassword", "secrets-session", secrets);
    return {
        target,
        net,
        vpc,
        subnet,
        svc,
        sg,
        task,
        ecs,
        secrets,
        pw,
        all: [target, net, vpc, subnet, svc, sg, task, ecs, secrets, pw],
    };
}

test("short types read like the provider's docs", () => {
    const table: [string, string][] = [
        ["aws:ecs/service:Service", "ecs.Service"],
        ["aws:rds/instance:Instance", "rds.Instance"],
        ["gcp:cloudrunv2/service:Service", "cloudrunv2.Service"],
        ["command:remote:Command", "command remote.Command"],
        ["random:index/randomPassword:RandomPassword", "random.RandomPassword"],
        ["docker-build:index:Image", "docker-build.Image"],
        ["proj:aws:FargateService", "FargateService"],
        ["acme:web:Site", "acme web.Site"],
    ];
    for (const [type, short] of table) assert.equal(shortType(type, "proj"), short, type);
});

test("ids are Mermaid-safe and labels cannot break out of their quotes", () => {
    const ids: [string, string][] = [
        ["ecs.Service__aws-api-service", "ecs_Service__aws_api_service"],
        [
            "command remote.Command__vm-api-oci-arm-1-deploy",
            "command_remote_Command__vm_api_oci_arm_1_deploy",
        ],
        ["9lives", "r_9lives"],
        ['a"b]c;d%e', "a_b_c_d_e"],
    ];
    for (const [raw, id] of ids) assert.equal(sanitizeId(raw), id, raw);
    const labels: [string, string][] = [
        ["aws-api-service", "aws-api-service"],
        ['say "hi"', "say #34;hi#34;"],
        ["a#b<c>", "a#35;b#60;c#62;"],
        ["ünïcode", "#252;n#239;code"],
    ];
    for (const [raw, label] of labels) assert.equal(labelText(raw), label, raw);
});

test("components are nested subgraphs as the parent chain nests; the outermost names the target", () => {
    const { all } = sample();
    const text = renderMermaid(all);
    assert.equal(
        text,
        [
            "flowchart LR",
            '    subgraph AwsTarget__aws["AWS: AwsTarget aws"]',
            '        subgraph FargateService__aws_api["FargateService aws-api"]',
            '            ec2_SecurityGroup__aws_api_tasks["ec2.SecurityGroup<br/>aws-api-tasks"]',
            '            ecs_Service__aws_api_service["ecs.Service<br/>aws-api-service"]',
            '            ecs_TaskDefinition__aws_api_task["ecs.TaskDefinition<br/>aws-api-task"]',
            "        end",
            '        subgraph Network__aws_net["Network aws-net"]',
            '            ec2_Subnet__aws_net_private_0["ec2.Subnet<br/>aws-net-private-0"]',
            '            ec2_Vpc__aws_net_vpc["ec2.Vpc<br/>aws-net-vpc"]',
            "        end",
            "    end",
            '    subgraph StackSecrets__secrets["StackSecrets secrets"]',
            '        random_RandomPassword__secrets_session["random.RandomPassword<br/>secrets-session"]',
            "    end",
            "    ec2_SecurityGroup__aws_api_tasks --> ec2_Vpc__aws_net_vpc",
            "    ec2_Subnet__aws_net_private_0 --> ec2_Vpc__aws_net_vpc",
            "    ecs_Service__aws_api_service --> ec2_SecurityGroup__aws_api_tasks",
            "    ecs_Service__aws_api_service --> ec2_Subnet__aws_net_private_0",
            "    ecs_Service__aws_api_service --> ecs_TaskDefinition__aws_api_task",
            "",
        ].join("\n"),
    );
    assert.deepEqual(diagramOf(all), { text, nodes: 6, subgraphs: 4, edges: 5 });
});

test("providers, the stack and childless components draw nothing; another program's parent is a subgraph", () => {
    const stack = res("pulumi:pulumi:Stack", "proj-dev");
    const provider = res("pulumi:providers:aws", "us-east-1", stack);
    const image = res("proj:image:ServiceImage", "api", stack);
    const site = res("acme:web:Site", "site", stack);
    const bucket = res("aws:s3/bucket:Bucket", "site-bucket", site, [provider, image]);
    const d = diagramOf([stack, provider, image, site, bucket]);
    assert.equal(
        d.text,
        [
            "flowchart LR",
            '    subgraph acme_web_Site__site["acme web.Site site"]',
            '        s3_Bucket__site_bucket["s3.Bucket<br/>site-bucket"]',
            "    end",
            "",
        ].join("\n"),
    );
    assert.equal(d.edges, 0, "no arrow to a provider or a component");
});

test("arrows: between resources only, deduplicated, none that a longer path implies", () => {
    const { all, ecs, vpc, subnet, sg, svc, target } = sample();
    // ecs -> vpc is implied by ecs -> subnet -> vpc; the same dependency twice is one arrow;
    // a dependency on a component and on itself draw nothing.
    ecs.dependencies.push(vpc.urn, subnet.urn, svc.urn, target.urn, ecs.urn);
    ecs.propertyDependencies = { networkConfiguration: [subnet.urn, sg.urn, vpc.urn] };
    const text = renderMermaid(all);
    const arrows = text.split("\n").filter((l) => l.includes("-->"));
    assert.deepEqual(arrows, [
        "    ec2_SecurityGroup__aws_api_tasks --> ec2_Vpc__aws_net_vpc",
        "    ec2_Subnet__aws_net_private_0 --> ec2_Vpc__aws_net_vpc",
        "    ecs_Service__aws_api_service --> ec2_SecurityGroup__aws_api_tasks",
        "    ecs_Service__aws_api_service --> ec2_Subnet__aws_net_private_0",
        "    ecs_Service__aws_api_service --> ecs_TaskDefinition__aws_api_task",
    ]);
    // A cycle (only hand-built graphs have one) keeps both arrows rather than losing one.
    const a = res("aws:sns/topic:Topic", "a");
    const b = res("aws:sns/topic:Topic", "b", undefined, [a]);
    a.dependencies.push(b.urn);
    assert.equal(diagramOf([a, b]).edges, 2);
});

test("two resources that would share an id each get a hash of their URN, the same in every stack", () => {
    const one = res("proj:aws:Postgres", "db");
    const two = res("proj:aws:Replica", "db");
    const x = res("aws:rds/instance:Instance", "db-main", one);
    const y = res("aws:rds/instance:Instance", "db_main", two);
    const ids = renderMermaid([one, two, x, y])
        .split("\n")
        .map((l) => /^\s+(rds_Instance__db_main\w*)\[/.exec(l)?.[1])
        .filter(Boolean);
    assert.equal(ids.length, 2);
    assert.notEqual(ids[0], ids[1]);
    for (const id of ids) assert.match(id!, /^rds_Instance__db_main_[0-9a-f]{8}$/);
    const inProd = [one, two, x, y].map((r) => ({
        ...r,
        urn: r.urn.replace("urn:pulumi:dev::", "urn:pulumi:prod::"),
        parent: r.parent?.replace("urn:pulumi:dev::", "urn:pulumi:prod::"),
    }));
    assert.equal(renderMermaid(inProd), renderMermaid([one, two, x, y]));
});

test("the same graph in any order renders byte for byte the same", () => {
    const { all } = sample();
    const expected = renderMermaid(all);
    assert.equal(renderMermaid(sample().all), expected);
    assert.equal(renderMermaid([...all].reverse()), expected);
    assert.equal(
        renderMermaid([all[4], all[9], all[0], all[7], all[2], all[5], all[1], all[8], all[3], all[6]]),
        expected,
    );
    assert.equal(renderMermaid({ resources: all }), expected);
});

test("no input, output or option value reaches the diagram, secret or not", () => {
    const { all, pw, ecs } = sample();
    const secret = (value: unknown) => ({ [rpc.specialSigKey]: rpc.specialSecretSig, value });
    pw.inputs = { length: 48, result: secret("hunter2-s3cr3t") };
    pw.state = { result: "hunter2-s3cr3t" };
    ecs.inputs = {
        taskDefinition: "arn:aws:ecs:task/plain-input-value",
        environment: [{ name: "DATABASE_URL", value: secret("postgres://app:pa55@db/app") }],
    };
    pw.options = { additionalSecretOutputs: ["result"] };
    const text = renderMermaid(all);
    for (const leak of ["hunter2", "pa55", "postgres://", "plain-input-value", "additionalSecretOutputs"])
        assert.ok(!text.includes(leak), `no ${leak} in the diagram`);
});

test("embedding: a block per stack, stale ones named, gone stacks removed, the rest of the page untouched", () => {
    const readme = `# x\n\n## Resource graphs\n\nIntro.\n\n${block("old", "flowchart LR\n")}\n${block("prod", "flowchart LR\n    a\n")}\n## Policy pack\n\ntext\n`;
    const same = embed(readme, { prod: "flowchart LR\n    a\n", old: "flowchart LR\n" });
    assert.deepEqual(same.stale, []);
    assert.equal(same.text, readme);
    const next = embed(readme, { prod: "flowchart LR\n    b\n", staging: "flowchart LR\n    c\n" });
    assert.deepEqual(next.stale, ["old", "prod", "staging"]);
    assert.equal(
        next.text,
        `# x\n\n## Resource graphs\n\nIntro.\n\n${block("prod", "flowchart LR\n    b\n")}\n${block("staging", "flowchart LR\n    c\n")}\n## Policy pack\n\ntext\n`,
    );
    assert.equal(embeddedDiagram(next.text, "staging"), "flowchart LR\n    c\n");
    assert.equal(embeddedDiagram(next.text, "old"), undefined);
    assert.deepEqual(embed(next.text, { prod: "flowchart LR\n    b\n", staging: "flowchart LR\n    c\n" }), {
        text: next.text,
        stale: [],
    });
    assert.throws(() => embed("# x\n", {}), /no "## Resource graphs" section/);
});

test("every committed stack's graph in docs/resource-graphs.md is what `plan --mermaid` prints today; --json with it is a usage error; violations still exit 1", async () => {
    const stacks = knownStacks();
    const [usage, violating, ...runs] = await Promise.all([
        planCli(["--stack", "staging", "--mermaid", "--json"]),
        planCli([
            "--stack",
            "fixture",
            "--config",
            "test/fixtures/stacks/production-builds.yaml",
            "--mermaid",
        ]),
        ...stacks.map((s) => planCli(["--stack", s, "--mermaid"])),
    ]);
    assert.equal(usage.code, 2);
    assert.equal(usage.stdout, "");
    assert.match(usage.stderr, /--json and --mermaid are two output formats/);
    assert.match(usage.stderr, /\[--json \| --mermaid\]/);

    assert.equal(violating.code, 1, violating.stderr);
    assert.match(violating.stdout, /^flowchart LR\n/, "stdout holds only the diagram");
    assert.match(violating.stdout, /docker_build_Image__api_build\["docker-build\.Image<br\/>api-build"\]/);
    assert.match(violating.stderr, /\[mandatory\] production-builds-nothing/);

    const readme = fs.readFileSync(path.resolve(__dirname, "..", "docs", "resource-graphs.md"), "utf8");
    const stale: string[] = [];
    stacks.forEach((stack, i) => {
        const r = runs[i];
        assert.equal(r.code, 0, `${stack}: ${r.stderr}`);
        assert.match(r.stdout, /^flowchart LR\n/);
        assert.ok(!r.stdout.includes("```"), "the plan prints no fence");
        assert.ok(
            !/offline-placeholder|offline-random|offline-gcp-token|offline-ecr-token/.test(r.stdout),
            `${stack}: no secret value`,
        );
        if (embeddedDiagram(readme, stack) !== r.stdout) stale.push(stack);
    });
    assert.deepEqual(
        stale,
        [],
        `docs/resource-graphs.md diagrams out of date for ${stale.join(", ")}; run: npm run diagrams`,
    );
});
