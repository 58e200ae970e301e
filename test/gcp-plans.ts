/**
 * Offline plans of the GCP stacks for the Cloud Run release tests: a plan's JSON, its outputs as
 * the next update's StackReference to itself reads them, and gcp-staging with one field changed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { planCli } from "./mocks";

const ROOT = path.resolve(__dirname, "..");

/** `npm run plan -- <args> --json`, parsed; a non-zero exit throws with its stderr. */
export async function planJson(args: string[]): Promise<any> {
    const r = await planCli([...args, "--json"]);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
}

/** `--last-outputs <file>`: a plan's outputs as the next update's StackReference to itself reads them. */
export function lastOutputsOf(doc: any): string[] {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gcp-last-")), "outputs.json");
    fs.writeFileSync(file, JSON.stringify(doc.outputs));
    return ["--last-outputs", file];
}

/** gcp-staging with `change` applied to its service, as a stack file in a temp dir. */
export function gcpStagingVariant(change: (svc: any) => void): string {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.gcp-staging.yaml"), "utf8"));
    change(doc.config["service-deploy:services"][0]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gcp-stack-")), "stack.yaml");
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

/** gcp-staging running `digest` with `traffic` (and extra env), as a stack file in a temp dir. */
export function gcpStagingWith(
    digest: string,
    traffic: object,
    extraEnv: Record<string, object> = {},
): string {
    return gcpStagingVariant((svc) => {
        svc.image.ref = `${svc.image.ref.split("@")[0]}@${digest}`;
        svc.cloudRun.traffic = traffic;
        Object.assign(svc.env, extraEnv);
    });
}
