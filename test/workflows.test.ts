/**
 * The delivery workflows (.github/workflows) parse with GitHub's own parser, call the actions with
 * inputs their recorded action.yml declares (test/fixtures/actions), and keep the delivery issue's
 * guarantees: OIDC only, production changed only by promote.yml behind the `production`
 * environment, every stack previewed and planned with its policy config. The checks are the pure
 * functions of test/workflow-checks.ts; the last tests feed them broken workflows to show each
 * one fails.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    checkActionInputs,
    checkDeploys,
    checkNpmScripts,
    checkParsed,
    checkPolicyPack,
    checkSecurity,
    checkStackMatrix,
    isMap,
    jobsOf,
    parseActionFixture,
    parseWorkflowText,
    pulumiSteps,
    readRepo,
    stackCandidates,
    stepsOf,
    type RecordedAction,
    type Repo,
    type Workflow,
} from "./workflow-checks";

const ROOT = path.resolve(__dirname, "..");
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
const loaded = load();
const workflow = async (file: string) => (await loaded).workflows.find((w) => w.file === file)!;
const pin = async (repo: string) => `${repo}@${(await loaded).actions.find((a) => a.repo === repo)!.commit}`;

test("the three delivery workflows parse with GitHub's workflow parser, without template or schema errors", async () => {
    const { workflows } = await loaded;
    assert.deepEqual(
        workflows.map((w) => w.file),
        ["deploy-staging.yml", "promote.yml", "pull-request.yml"],
    );
    assert.deepEqual(workflows.flatMap(checkParsed), []);
});

test("each recorded action.yml parses under the action schema and says where and when it was recorded", async () => {
    const { actions } = await loaded;
    assert.deepEqual(
        actions.flatMap((a) => a.errors),
        [],
    );
    for (const a of actions) {
        assert.match(a.commit, /^[0-9a-f]{40}$/, a.fixture);
        assert.match(a.tag, /^v\d+\.\d+\.\d+$/, a.fixture);
        assert.match(a.recorded, /^\d{4}-\d{2}-\d{2}$/, a.fixture);
    }
    const pulumi = actions.find((a) => a.fixture === "pulumi-actions.action.yml")!;
    assert.equal(pulumi.repo, "pulumi/actions");
    for (const input of [
        "command",
        "stack-name",
        "policyPacks",
        "policyPackConfigs",
        "comment-on-pr",
        "edit-pr-comment",
        "cloud-url",
    ])
        assert.ok(pulumi.inputs.has(input), input);
});

test("every action step uses a recorded action at its recorded commit, with declared inputs, the required ones, and valid choices", async () => {
    const { workflows, actions } = await loaded;
    assert.deepEqual(
        workflows.flatMap((w) => checkActionInputs(w, actions)),
        [],
    );
    const used = new Set(workflows.flatMap((w) => stepsOf(w).map((s) => s.action)).filter(Boolean));
    assert.deepEqual(
        [...used].sort(),
        actions.map((a) => a.repo).sort(),
        "every recorded action is used, and only those",
    );
});

test("no long-lived cloud key anywhere; id-token: write exactly in the jobs that assume a cloud role", async () => {
    const { workflows } = await loaded;
    assert.deepEqual(workflows.flatMap(checkSecurity), []);
    const withToken = workflows.flatMap((w) =>
        jobsOf(w)
            .filter(([, j]) => isMap(j.permissions) && j.permissions["id-token"] === "write")
            .map(([id]) => `${w.file} ${id}`),
    );
    assert.deepEqual(withToken, [
        "deploy-staging.yml up",
        "promote.yml promote",
        "promote.yml deploy",
        "pull-request.yml preview",
    ]);
});

test("production changes only through promote.yml's job with environment: production; every up is serialized per stack", async () => {
    const { workflows, repo } = await loaded;
    assert.deepEqual(
        workflows.flatMap((w) => checkDeploys(w, repo)),
        [],
    );
    // Not vacuous: the ups are where they should be, on the stacks they should be.
    const ups = workflows.flatMap((w) =>
        pulumiSteps(w)
            .filter((s) => s.with.command === "up")
            .map((s) => [w.file, s.job, stackCandidates(w, s)!.map((c) => c.stack)]),
    );
    assert.deepEqual(ups, [
        ["deploy-staging.yml", "up", ["staging", "gcp-staging", "vm-staging", "oci-staging"]],
        ["promote.yml", "deploy", ["production", "gcp-production"]],
    ]);
    assert.deepEqual(
        repo.stacks.filter((s) => s.production).map((s) => s.name),
        ["gcp-production", "production"],
    );
    const contentsWrite = workflows.flatMap((w) =>
        jobsOf(w)
            .filter(([, j]) => isMap(j.permissions) && j.permissions.contents === "write")
            .map(([id]) => `${w.file} ${id}`),
    );
    assert.deepEqual(
        contentsWrite,
        ["promote.yml deploy"],
        "only the production deploy may push (the stack file)",
    );
});

test("every pulumi/actions command passes the policy pack and its own stack's policies/config/<stack>.json", async () => {
    const { workflows, repo } = await loaded;
    assert.deepEqual(
        workflows.flatMap((w) => checkPolicyPack(w, repo)),
        [],
    );
    assert.equal(workflows.flatMap(pulumiSteps).length, 4);
});

test("the PR's preview and offline-plan matrices list exactly the committed stacks; staging deploys exactly the staging stacks", async () => {
    const { repo } = await loaded;
    const all = repo.stacks.map((s) => s.name);
    const staging = repo.stacks.filter((s) => !s.production).map((s) => s.name);
    assert.deepEqual(all, [
        "gcp-production",
        "gcp-staging",
        "oci-staging",
        "production",
        "staging",
        "vm-staging",
    ]);
    const pr = await workflow("pull-request.yml");
    assert.deepEqual(checkStackMatrix(pr, "preview", all, repo), []);
    assert.deepEqual(checkStackMatrix(pr, "offline-plan", all, repo), []);
    assert.deepEqual(checkStackMatrix(await workflow("deploy-staging.yml"), "up", staging, repo), []);
});

test("previews comment on the pull request and edit that comment; forks get only the offline plan, which needs no secret", async () => {
    const pr = await workflow("pull-request.yml");
    const jobs = Object.fromEntries(jobsOf(pr));
    assert.match(
        String(jobs.preview.if),
        /^github\.event\.pull_request\.head\.repo\.full_name == github\.repository\b/,
    );
    assert.deepEqual(jobs.preview.needs, ["test", "offline-plan"]);
    assert.deepEqual(jobs.preview.permissions, {
        contents: "read",
        "id-token": "write",
        "pull-requests": "write",
    });
    const [preview] = pulumiSteps(pr);
    assert.equal(preview.with.command, "preview");
    // The parser reads every `with:` value as a string, as the runner passes it to the action.
    assert.equal(preview.with["comment-on-pr"], "true");
    assert.equal(preview.with["edit-pr-comment"], "true");
    assert.equal(preview.with["cloud-url"], "${{ vars.PULUMI_BACKEND_URL }}");
    assert.equal(jobs["offline-plan"].if, undefined);
    assert.ok(!JSON.stringify(jobs["offline-plan"]).includes("secrets."), "the offline plan needs no secret");
    assert.ok(
        stepsOf(pr, "offline-plan").some((s) =>
            /npm run -s plan -- --stack "\$STACK"/.test(String(s.step.run)),
        ),
    );
    // The README's test command, on the machine it is written for (Debian 12, root, privileged for podman).
    assert.ok(stepsOf(pr, "test").some((s) => s.step.run === "bash .ci/run"));
    assert.deepEqual(jobs.test.container, { image: "debian:bookworm", options: "--privileged" });
});

test("promote derives the staging stack of each production stack and hands the stack file from promote to deploy", async () => {
    const { repo } = await loaded;
    const wf = await workflow("promote.yml");
    const on = wf.doc.on as any;
    assert.deepEqual(
        [...on.workflow_dispatch.inputs.to.options].sort(),
        repo.stacks.filter((s) => s.production).map((s) => s.name),
    );
    const script = String(stepsOf(wf, "promote").find((s) => s.step.id === "stacks")!.step.run);
    const from = Object.fromEntries(
        [...script.matchAll(/^\s*([\w-]+)\)\s+from=([\w-]+)\s*;;/gm)].map((m) => [m[1], m[2]]),
    );
    assert.deepEqual(from, { production: "staging", "gcp-production": "gcp-staging" });
    for (const [to, source] of Object.entries(from)) {
        const t = repo.stacks.find((s) => s.name === to)!,
            f = repo.stacks.find((s) => s.name === source)!;
        assert.ok(f && !f.production, `${source} is a committed staging stack`);
        assert.deepEqual(f.clouds, t.clouds, `${source} and ${to} run on the same cloud`);
    }
    const jobs = Object.fromEntries(jobsOf(wf));
    assert.equal(jobs.deploy.needs, "promote");
    assert.equal(jobs.deploy.environment, "production");
    assert.deepEqual(wf.doc.concurrency, {
        group: "pulumi-up-${{ inputs.to }}",
        "cancel-in-progress": false,
    });
    const upload = stepsOf(wf, "promote").find((s) => s.action === "actions/upload-artifact")!;
    const download = stepsOf(wf, "deploy").find((s) => s.action === "actions/download-artifact")!;
    assert.equal(upload.with.path, "Pulumi.${{ inputs.to }}.yaml");
    assert.equal(upload.with.name, download.with.name);
    const run = stepsOf(wf, "promote")
        .map((s) => String(s.step.run ?? ""))
        .join("\n");
    assert.match(run, /npm run promote -- --from "\$FROM" --to "\$TO"/);
    assert.match(run, /git diff -- "\$file"/);
    assert.ok(
        !/--show-secrets/.test(JSON.stringify(wf.doc)),
        "staging outputs are read without --show-secrets",
    );
});

test("every `npm run` in the workflows is a script of package.json", async (t) => {
    const { workflows, repo } = await loaded;
    const problems = workflows.flatMap((w) => checkNpmScripts(w, repo));
    if (!repo.scripts.includes("promote")) {
        // `npm run promote` is being written alongside these workflows; until it lands, it is the one gap.
        t.diagnostic(
            "package.json has no promote script yet: promote.yml's `npm run promote` is not checked",
        );
        assert.deepEqual(problems, [
            "promote.yml job promote step 10 (npm run promote): npm run promote is not a script of package.json",
        ]);
        return;
    }
    assert.deepEqual(problems, []);
});

// ---------------------------------------------------------------------------------------------
// The checks fail: each broken workflow below is valid for the parser, and its one defect is reported.

async function broken(file: string, yaml: string): Promise<Workflow> {
    const wf = await parseWorkflowText(file, yaml);
    assert.deepEqual(wf.errors, [], "the broken workflow is still a valid workflow");
    return wf;
}

async function previewJob(withLines: string): Promise<string> {
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

test("an unknown pulumi/actions input is reported, with the input it resembles", async () => {
    const { actions } = await loaded;
    const wf = await broken(
        "broken.yml",
        await previewJob(
            "command: preview\nstack-name: staging\npolicyPack: policies\npolicyPackConfigs: policies/config/staging.json",
        ),
    );
    assert.deepEqual(checkActionInputs(wf, actions), [
        'broken.yml job preview step 1 (pulumi/actions): pulumi/actions has no input "policyPack" (did you mean "policyPacks"?)',
    ]);
});

test("a misspelled pulumi/actions command is reported with the commands the action accepts", async () => {
    const { actions } = await loaded;
    const wf = await broken(
        "broken.yml",
        await previewJob(
            "command: preveiw\nstack-name: staging\npolicyPacks: policies\npolicyPackConfigs: policies/config/staging.json",
        ),
    );
    assert.deepEqual(checkActionInputs(wf, actions), [
        'broken.yml job preview step 1 (pulumi/actions): command: "preveiw" is not one of "up", "update", "refresh", "destroy", "preview", "output" (did you mean "preview"?)',
    ]);
});

test("a command without stack-name, a non-boolean flag and an unpinned action are reported", async () => {
    const { actions } = await loaded;
    const wf = await broken(
        "broken.yml",
        (await previewJob("command: preview\ncomment-on-pr: yes please")).replace(
            /pulumi\/actions@[0-9a-f]{40}/,
            "pulumi/actions@v7",
        ),
    );
    const commit = actions.find((a) => a.repo === "pulumi/actions")!.commit;
    assert.deepEqual(checkActionInputs(wf, actions), [
        `broken.yml job preview step 1 (pulumi/actions): pulumi/actions@v7 is not pinned to the recorded commit ${commit} (v7.0.0)`,
        'broken.yml job preview step 1 (pulumi/actions): comment-on-pr: "yes please" is not true or false',
        'broken.yml job preview step 1 (pulumi/actions): pulumi/actions needs input "stack-name" with "command"',
    ]);
});

test("a long-lived cloud key in secrets is reported, as an env var and as an auth action input", async () => {
    const wf = await broken(
        "broken.yml",
        `name: broken
on: push
permissions:
  contents: read
jobs:
  keys:
    runs-on: ubuntu-latest
    steps:
      - run: aws sts get-caller-identity
        env:
          AWS_ACCESS_KEY_ID: \${{ secrets.AWS_ACCESS_KEY_ID }}
      - uses: ${await pin("google-github-actions/auth")}
        with:
          credentials_json: \${{ secrets.GCP_SA_KEY }}
`,
    );
    assert.deepEqual(checkSecurity(wf), [
        "broken.yml job keys: cloud credentials without id-token: write (OIDC needs it)",
        "broken.yml job keys step 2 (google-github-actions/auth): input credentials_json is a long-lived cloud key; use OIDC",
        "broken.yml job keys step 1: env AWS_ACCESS_KEY_ID is a long-lived cloud key; use OIDC",
        "broken.yml job keys step 1: secrets.AWS_ACCESS_KEY_ID is a long-lived cloud key; use OIDC",
        "broken.yml job keys step 2 (google-github-actions/auth): secrets.GCP_SA_KEY is a long-lived cloud key; use OIDC",
    ]);
});

test("id-token: write in a job that assumes no cloud role, or for the whole workflow, is reported", async () => {
    const wf = await broken(
        "broken.yml",
        `name: broken
on: push
permissions:
  contents: read
  id-token: write
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: npm run typecheck
`,
    );
    assert.deepEqual(checkSecurity(wf), [
        "broken.yml: id-token: write at the workflow level (grant it only to the jobs that assume a cloud role)",
        "broken.yml job lint: id-token: write without a cloud credentials step",
    ]);
});

const upStep = async (stack: string) => `      - uses: ${await pin("pulumi/actions")}
        with:
          command: up
          stack-name: ${stack}
          policyPacks: policies
          policyPackConfigs: policies/config/${stack}.json`;

test("a production up outside promote.yml's guarded job is reported", async () => {
    const { repo } = await loaded;
    const outside = await broken(
        "deploy-staging.yml",
        `name: broken
on: push
permissions:
  contents: read
jobs:
  up:
    runs-on: ubuntu-latest
    environment: staging
    concurrency:
      group: pulumi-up-production
    steps:
${await upStep("production")}
`,
    );
    assert.deepEqual(checkDeploys(outside, repo), [
        'deploy-staging.yml job up step 1 (pulumi/actions): pulumi up on production stack "production" outside promote.yml',
        'deploy-staging.yml job up step 1 (pulumi/actions): pulumi up on production stack "production" in a job without environment: production',
    ]);
    const unguarded = await broken(
        "promote.yml",
        `name: broken
on:
  workflow_dispatch:
    inputs:
      to: { type: choice, options: [production, gcp-production], required: true }
permissions:
  contents: read
concurrency:
  group: pulumi-up-\${{ inputs.to }}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
${await upStep("${{ inputs.to }}")}
      - run: pulumi up --stack production --yes
`,
    );
    assert.deepEqual(checkDeploys(unguarded, repo), [
        'promote.yml job deploy step 2: runs "pulumi up" in a run step; use pulumi/actions (its stack and policy pack are checked)',
        'promote.yml job deploy step 1 (pulumi/actions): pulumi up on production stack "production" in a job without environment: production',
        'promote.yml job deploy step 1 (pulumi/actions): pulumi up on production stack "gcp-production" in a job without environment: production',
    ]);
});

test("an up outside its stack's concurrency group, or one that may be cancelled, is reported", async () => {
    const { repo } = await loaded;
    const wf = await broken(
        "deploy-staging.yml",
        `name: broken
on: push
permissions:
  contents: read
concurrency:
  group: deploy
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
${await upStep("staging")}
  up-vm:
    runs-on: ubuntu-latest
    concurrency:
      group: pulumi-up-vm-staging
      cancel-in-progress: true
    steps:
${await upStep("vm-staging")}
`,
    );
    assert.deepEqual(checkDeploys(wf, repo), [
        'deploy-staging.yml job up step 1 (pulumi/actions): pulumi up on "staging" is not in concurrency group pulumi-up-staging',
        'deploy-staging.yml job up-vm step 1 (pulumi/actions): pulumi up on "vm-staging" may be cancelled half-way (cancel-in-progress)',
    ]);
});

test("a pulumi/actions step without the pack, or with another stack's policy config, is reported", async () => {
    const { repo } = await loaded;
    const wf = await broken(
        "broken.yml",
        `name: broken
on: pull_request
permissions:
  contents: read
jobs:
  preview:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        stack: [staging, production]
    steps:
      - uses: ${await pin("pulumi/actions")}
        with:
          command: preview
          stack-name: \${{ matrix.stack }}
          policyPacks: policies
          policyPackConfigs: policies/config/staging.json
      - uses: ${await pin("pulumi/actions")}
        with:
          command: preview
          stack-name: \${{ matrix.stack }}
`,
    );
    assert.deepEqual(checkPolicyPack(wf, repo), [
        'broken.yml job preview step 1 (pulumi/actions): stack "production" gets policy config policies/config/staging.json, not policies/config/production.json',
        "broken.yml job preview step 2 (pulumi/actions): no policyPacks: policies",
    ]);
});

test("a matrix that misses a committed stack, lists an unknown one, or gives a stack the wrong cloud or region is reported", async () => {
    const { repo } = await loaded;
    const wf = await broken(
        "pull-request.yml",
        `name: broken
on: pull_request
permissions:
  contents: read
jobs:
  preview:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        include:
          - { stack: staging, cloud: aws, aws-region: us-east-1, builds: true }
          - { stack: production, cloud: aws, aws-region: ap-northeast-1, builds: false }
          - { stack: gcp-staging, cloud: gcp, builds: false }
          - { stack: gcp-production, cloud: gcp, builds: false }
          - { stack: vm-staging, cloud: gcp, builds: false }
          - { stack: oci-staging, builds: false }
          - { stack: qa, cloud: aws, aws-region: ap-northeast-1 }
    steps:
      - run: echo \${{ matrix.stack }}
`,
    );
    assert.deepEqual(checkStackMatrix(wf, "preview", [...repo.stacks.map((s) => s.name), "dev"], repo), [
        "pull-request.yml job preview: the matrix lacks stack dev",
        "pull-request.yml job preview: the matrix lists qa, which has no Pulumi.qa.yaml",
        "pull-request.yml job preview: staging assumes its AWS role in us-east-1; its stack file says aws:region ap-northeast-1",
        "pull-request.yml job preview: vm-staging gets gcp credentials; its stack file needs aws",
    ]);
});
