/**
 * What the workflow tests share: the repository's workflows, recorded action.yml files and stacks,
 * loaded once per test process, and the builders of small broken workflows.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    parseActionFixture,
    parseWorkflowText,
    readRepo,
    type RecordedAction,
    type Repo,
    type Workflow,
} from "./workflow-checks";

export const ROOT = path.resolve(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const FIXTURES = path.join(ROOT, "test", "fixtures", "actions");

async function load(): Promise<{ workflows: Workflow[]; actions: RecordedAction[]; repo: Repo }> {
    const workflows = await Promise.all(
        fs
            .readdirSync(WORKFLOWS)
            .filter((f) => /\.ya?ml$/.test(f))
            .sort()
            .map((f) => parseWorkflowText(f, fs.readFileSync(path.join(WORKFLOWS, f), "utf8"))),
    );
    const actions = await Promise.all(
        fs
            .readdirSync(FIXTURES)
            .sort()
            .map((f) => parseActionFixture(f, fs.readFileSync(path.join(FIXTURES, f), "utf8"))),
    );
    return { workflows, actions, repo: readRepo(ROOT) };
}
export const loaded = load();
export const workflow = async (file: string) => (await loaded).workflows.find((w) => w.file === file)!;
export const pin = async (repo: string) =>
    `${repo}@${(await loaded).actions.find((a) => a.repo === repo)!.commit}`;

export async function broken(file: string, yaml: string): Promise<Workflow> {
    const wf = await parseWorkflowText(file, yaml);
    assert.deepEqual(wf.errors, [], "the broken workflow is still a valid workflow");
    return wf;
}

export async function previewJob(withLines: string): Promise<string> {
    return `name: broken
on: pull_request
permissions:
  contents: read
jobs:
  preview:
    runs-on: ubuntu-latest
    steps:
      - uses: ${await pin("pulumi/actions")}
        with:
${withLines
    .split("\n")
    .map((l) => `          ${l}`)
    .join("\n")}
`;
}

export const upStep = async (stack: string) => `      - uses: ${await pin("pulumi/actions")}
        with:
          command: up
          stack-name: ${stack}
          policyPacks: policies
          policyPackConfigs: policies/config/${stack}.json`;
