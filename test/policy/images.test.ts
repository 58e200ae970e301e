import { test } from "node:test";
import assert from "node:assert/strict";
import { cite } from "../../components/failures";
import {
    imageDigestPinned,
    imageMultiArch,
    imagePlatformMatchesTarget,
    productionBuildsNothing,
} from "../../policies/images";
import { messages } from "./harness";
import {
    imageBuild,
    cloudRun,
    resource,
    taskDefinition,
    vmDeploy,
    VM_IMAGE,
    vmCreate,
} from "../../scripts/policy-fixtures";

const build = imageBuild;

test("image-multi-arch: a two-platform docker-build Image passes", async () => {
    assert.deepEqual(await messages(imageMultiArch(), [build()]), []);
});

test("image-multi-arch: an amd64-only build is refused with the platform to add", async () => {
    assert.deepEqual(await messages(imageMultiArch(), [build({ platforms: ["linux/amd64"] })]), [
        cite(
            "SD-001",
            'docker-build Image "api-build" builds linux/amd64; add linux/arm64 (platforms: ["linux/amd64", "linux/arm64"]).',
        ),
    ]);
});

test("image-multi-arch: a build without platforms builds only the builder's own (an ARM Mac's, SD-001)", async () => {
    assert.deepEqual(await messages(imageMultiArch(), [build({ platforms: undefined })]), [
        cite(
            "SD-001",
            `docker-build Image "api-build" builds only the builder's own platform; add linux/amd64, linux/arm64 (platforms: ["linux/amd64", "linux/arm64"]).`,
        ),
    ]);
});

test("image-multi-arch: @pulumi/docker's Image builds one platform, so it is refused", async () => {
    const img = resource("docker:index/image:Image", "legacy", {
        imageName: "r/api:1",
        build: { context: ".", platform: "linux/amd64" },
    });
    assert.deepEqual(await messages(imageMultiArch(), [img]), [
        cite(
            "SD-001",
            '@pulumi/docker Image "legacy" builds a single platform (linux/amd64); build with @pulumi/docker-build\'s Image and platforms ["linux/amd64", "linux/arm64"].',
        ),
    ]);
});

test("image-multi-arch: required platforms come from policy config", async () => {
    const config = { "image-multi-arch": { requiredPlatforms: ["linux/amd64"] } };
    assert.deepEqual(await messages(imageMultiArch(), [build({ platforms: ["linux/amd64"] })], config), []);
});

test("image-digest-pinned: digest references pass on ECS, Cloud Run and the VM", async () => {
    assert.deepEqual(await messages(imageDigestPinned(), [taskDefinition(), cloudRun(), vmDeploy()]), []);
});

test("image-digest-pinned: a tag is refused on every target, whatever the tag", async () => {
    const got = await messages(imageDigestPinned(), [
        taskDefinition({ image: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:latest" }),
        cloudRun({ image: "asia-east1-docker.pkg.dev/p/r/api:v1.2.3" }),
        vmDeploy({ create: vmCreate(VM_IMAGE, "ghcr.io/acme/api:stable") }),
    ]);
    assert.deepEqual(got, [
        cite(
            "SD-004",
            'ECS task definition "aws-api-task": container "api" uses image "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:latest", which is not pinned; use <repository>@sha256:<digest> (the digest that ran in staging).',
        ),
        cite(
            "SD-004",
            'Cloud Run service "gcp-api-service": container "api" uses image "asia-east1-docker.pkg.dev/p/r/api:v1.2.3", which is not pinned; use <repository>@sha256:<digest> (the digest that ran in staging).',
        ),
        cite(
            "SD-004",
            'VM deploy "vm-api-oci-arm-1-deploy": container "api" uses image "ghcr.io/acme/api:stable", which is not pinned; use <repository>@sha256:<digest> (the digest that ran in staging).',
        ),
    ]);
});

test("image-platform-matches-target: arm64 tasks on a two-platform image pass", async () => {
    assert.deepEqual(
        await messages(imagePlatformMatchesTarget(), [taskDefinition(), cloudRun(), vmDeploy()]),
        [],
    );
});

test("image-platform-matches-target: an amd64-only image on ARM64 Fargate is refused (SD-002)", async () => {
    const td = taskDefinition({}, { tags: { "service-deploy:image-platforms": "linux/amd64" } });
    assert.deepEqual(await messages(imagePlatformMatchesTarget(), [td]), [
        cite(
            "SD-002",
            '"aws-api-task" runs on linux/arm64 (runtimePlatform.cpuArchitecture ARM64) but its image holds only linux/amd64; rebuild the image for linux/amd64,linux/arm64 or run it on a matching CPU; without this the host says "no matching manifest for linux/arm64/v8" or "exec format error".',
        ),
    ]);
});

test("image-platform-matches-target: a task definition without runtimePlatform runs X86_64", async () => {
    const td = taskDefinition(
        {},
        { runtimePlatform: undefined, tags: { "service-deploy:image-platforms": "linux/arm64" } },
    );
    assert.deepEqual(await messages(imagePlatformMatchesTarget(), [td]), [
        cite(
            "SD-002",
            '"aws-api-task" runs on linux/amd64 (runtimePlatform.cpuArchitecture X86_64 (the default)) but its image holds only linux/arm64; rebuild the image for linux/amd64,linux/arm64 or run it on a matching CPU; without this the host says "no matching manifest for linux/arm64/v8" or "exec format error".',
        ),
    ]);
});

test("image-platform-matches-target: an arm64-only image on Cloud Run is refused (SD-002)", async () => {
    const run = cloudRun({}, { labels: { "image-platforms": "linux-arm64" } });
    assert.deepEqual(await messages(imagePlatformMatchesTarget(), [run]), [
        cite(
            "SD-002",
            '"gcp-api-service" runs on linux/amd64 (Cloud Run runs linux/amd64 only) but its image holds only linux/arm64; rebuild the image for linux/amd64,linux/arm64 or run it on a matching CPU; without this the host says "no matching manifest for linux/arm64/v8" or "exec format error".',
        ),
    ]);
});

test("image-platform-matches-target: an amd64-only image on the arm64 VM is refused", async () => {
    const vm = vmDeploy({
        create: vmCreate("--image-platforms='linux/amd64,linux/arm64'", "--image-platforms='linux/amd64'"),
    });
    assert.deepEqual(await messages(imagePlatformMatchesTarget(), [vm]), [
        cite(
            "SD-002",
            '"vm-api-oci-arm-1-deploy" runs on linux/arm64 (the VM host is arm64) but its image holds only linux/amd64; rebuild the image for linux/amd64,linux/arm64 or run it on a matching CPU; without this the host says "no matching manifest for linux/arm64/v8" or "exec format error".',
        ),
    ]);
});

test("image-platform-matches-target: a workload without stamped platforms is not applicable, not a pass or a failure", async () => {
    const td = taskDefinition({}, { tags: {} });
    assert.deepEqual(await messages(imagePlatformMatchesTarget(), [td]), []);
});

test("production-builds-nothing: a production stack with a pinned image passes; staging may build", async () => {
    assert.deepEqual(await messages(productionBuildsNothing(), [taskDefinition()]), []);
    assert.deepEqual(
        await messages(productionBuildsNothing(), [build()], {
            "production-builds-nothing": { production: false },
        }),
        [],
    );
});

test("production-builds-nothing: any image build in production is refused, docker-build or @pulumi/docker", async () => {
    const legacy = resource("docker:index/image:Image", "legacy", { imageName: "r/api:1" });
    assert.deepEqual(await messages(productionBuildsNothing(), [build(), legacy]), [
        cite(
            "SD-005",
            'image build "api-build" in a production stack: production deploys the digest that ran healthy in staging; set the service\'s image.ref to it instead of building.',
        ),
        cite(
            "SD-005",
            'image build "legacy" in a production stack: production deploys the digest that ran healthy in staging; set the service\'s image.ref to it instead of building.',
        ),
    ]);
    assert.deepEqual(
        await messages(productionBuildsNothing(), [build()], {}, { environment: "production" }).then(
            (m) => m.length,
        ),
        1,
    );
});
