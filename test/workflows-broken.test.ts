/**
 * The workflow checks fail: each broken workflow below is valid for GitHub's parser, and its one
 * defect is reported by the check that guards it (test/workflow-checks.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
    checkActionInputs,
    checkDeploys,
    checkPolicyPack,
    checkSecurity,
    checkStackMatrix,
} from "./workflow-checks";
import { broken, loaded, pin, previewJob, upStep } from "./workflow-load";

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
