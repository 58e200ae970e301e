import type { Policy, PolicyPackConfig } from "@pulumi/policy";
import { evaluatePack, type GraphResource } from "../../scripts/policy-engine";
import { CONFIG } from "../../scripts/policy-fixtures";

/** Run one policy over resources through the offline engine; return its messages. */
export async function messages(
    policy: Policy,
    resources: GraphResource[],
    config: PolicyPackConfig = CONFIG,
    stackTags: Record<string, string> = {},
): Promise<string[]> {
    const e = await evaluatePack([policy], resources, { config, stackTags });
    return e.violations.map((v) => v.message);
}
