/** Several hosts deploy in batches: each batch waits for the previous one, so the first failure stops the rollout. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { graphOf } from "./mocks";

test("three hosts in batches of two: host 3 waits for hosts 1 and 2; every connection goes through the bastion", async () => {
    const g = await graphOf("fixture", { configFile: "test/fixtures/stacks/vm-three-hosts.yaml" });
    const deps = (host: string) =>
        (g.one("command:remote:Command", `vm-api-${host}-deploy`).options.dependsOn ?? [])
            .map((u) => u.split("::").pop())
            .filter((n) => n!.endsWith("-deploy"))
            .sort();
    assert.deepEqual(deps("oci-arm-1"), []);
    assert.deepEqual(deps("oci-arm-2"), []);
    assert.deepEqual(deps("oci-arm-3"), ["vm-api-oci-arm-1-deploy", "vm-api-oci-arm-2-deploy"]);
    for (const h of [1, 2, 3]) {
        const c = g.inputs(g.one("command:remote:Command", `vm-api-oci-arm-${h}-deploy`)).connection;
        assert.equal(c.host, `203.0.113.${10 + h}`);
        assert.deepEqual([c.proxy.host, c.proxy.user], ["198.51.100.5", "jump"]);
    }
    assert.deepEqual((g.result.outputs.services as any).api.hosts, ["oci-arm-1", "oci-arm-2", "oci-arm-3"]);
});
