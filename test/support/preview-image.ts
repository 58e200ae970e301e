/**
 * One ServiceImage for a prebuilt ref under mocks, with the real registry reader: what a preview
 * runs for that image. One run per process (the Pulumi runtime is process-global), so tests
 * spawn it: `node --import tsx test/support/preview-image.ts <json args>`. Prints
 * `{ "platforms": [...], "source": "..." }` or `{ "error": "<message>" }`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnvEntry } from "../../components/contract";
import { ServiceImage } from "../../components/image";

const a = JSON.parse(process.argv[2]) as {
    ref: string;
    registry: string;
    username: string;
    password: string;
    env: Record<string, EnvEntry>;
};
const errors: string[] = [];
process.on("unhandledRejection", (e) => errors.push((e as Error).message));
const settle = <T>(o: pulumi.Output<T>) => (o as unknown as { promise(): Promise<T> }).promise();

async function main() {
    await pulumi.runtime.setMocks(
        {
            newResource: (r) => ({ id: `${r.name}-id`, state: r.inputs }),
            call: (c) =>
                c.token === "docker:index/getRegistryImageManifests:getRegistryImageManifests"
                    ? {
                          name: a.ref,
                          manifests: ["amd64", "arm64"].map((architecture) => ({
                              os: "linux",
                              architecture,
                          })),
                      }
                    : {},
        },
        "service-deploy",
        "preview",
        true,
    );
    const image = new ServiceImage("api", {
        image: { ref: a.ref },
        required: [{ platform: "linux/arm64", consumer: 'vm service "api"' }],
        pullAuth: { address: a.registry, username: a.username, password: pulumi.secret(a.password) },
        heldTo: { service: "api", target: "vm", env: a.env },
    });
    try {
        const [platforms, known] = await Promise.all([settle(image.platforms), settle(image.declaration)]);
        process.stdout.write(`${JSON.stringify({ platforms, source: known?.source })}\n`);
    } catch (e) {
        process.stdout.write(`${JSON.stringify({ error: (e as Error).message })}\n`);
    }
    void errors;
    process.exit(0);
}
main();
