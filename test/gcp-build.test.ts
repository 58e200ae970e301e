/** A GCP stack that builds: Artifact Registry with immutable tags, the provider's token to push, secret webhooks. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { graphOf, type Graph } from "./mocks";

let graph: Graph | undefined;
const load = async () =>
    (graph ??= await graphOf("fixture", { configFile: "test/fixtures/stacks/gcp-build-webhook.yaml" }));

test("a gcp build pushes amd64+arm64 to an immutable Artifact Registry repository with the provider's token", async () => {
    const g = await load();
    const repo = g.inputs(g.one("gcp:artifactregistry/repository:Repository"));
    assert.deepEqual(
        [repo.repositoryId, repo.format, repo.location, repo.dockerConfig],
        ["services", "DOCKER", "asia-east1", { immutableTags: true }],
    );
    const build = g.one("docker-build:index:Image");
    const b = g.inputs(build);
    assert.match(
        b.tags[0],
        /^asia-east1-docker\.pkg\.dev\/acme-services-staging\/services\/api:src-[0-9a-f]{12}-[0-9a-f]{12}$/,
    );
    assert.deepEqual(b.platforms, ["linux/amd64", "linux/arm64"]);
    assert.equal(g.redacted(build).registries, "[secret]");
    assert.deepEqual(b.registries, [
        {
            address: "asia-east1-docker.pkg.dev",
            username: "oauth2accesstoken",
            password: "offline-gcp-token",
        },
    ]);
    const run = g.inputs(g.one("gcp:cloudrunv2/service:Service"));
    assert.match(
        run.template.containers[0].image,
        /^asia-east1-docker\.pkg\.dev\/acme-services-staging\/services\/api@sha256:[0-9a-f]{64}$/,
    );
    assert.match(
        run.template.revision,
        new RegExp(`^api-${run.template.containers[0].image.split("@sha256:")[1].slice(0, 12)}-[0-9a-f]{6}$`),
    );
});

test("a webhook channel's URL, a secret, never reaches state in plain text", async () => {
    const g = await load();
    const hook = g
        .all("gcp:monitoring/notificationChannel:NotificationChannel")
        .find((c) => g.inputs(c).type === "webhook_tokenauth")!;
    assert.equal(g.redacted(hook).labels, "[secret]");
    assert.equal(g.inputs(hook).labels.url, "offline-placeholder-for-service-deploy-oncallWebhook");
    const plain = JSON.stringify(g.result.resources.map((r) => g.redacted(r)));
    assert.deepEqual(
        g.result.secretValues.filter((s) => plain.includes(s)),
        [],
    );
});
