/**
 * The release step of a Cloud Run service: a revision is tested before it takes traffic, inside one
 * `pulumi up`.
 *
 * The Service resource (components/gcp/cloud-run-service.ts) writes the traffic `releasePlan`
 * decides (components/gcp/release-plan.ts): when a revision that gains traffic has not passed a
 * release, the "staged" list (the new revision tagged at 0%, `previous` with 100%, `keep` at 0%).
 * Then this component's `local.Command` runs the release runner (scripts/gcp-release.ts) with
 * `RELEASE_SPEC`: it smoke-tests the new revision's tag URL with the AWS hook's checks (readiness,
 * health, `services[].smoke`), exits 1 without touching traffic when one fails, else moves traffic
 * to the config's full list, and prints its `release-result:` line, read back from the Cloud Run
 * API. The service's `servingRevision`, `tagUrls` and `deployed` outputs are read from that line:
 * after a staged release the Service resource's own outputs still show the staged list.
 *
 * Semantics (checked against @pulumi/command 1.2.1, whose local.Command has no `update` here):
 * - Preview: the command never runs (a preview creates nothing); the plan shows the Service with
 *   the staged traffic and the command with its `RELEASE_SPEC`; the outputs read from the result
 *   are unknown until the up.
 * - The command runs when `RELEASE_SPEC` (or another input) changes: "If an `update` command isn't
 *   provided, then `create` will also be run when the resource's inputs are modified"
 *   (node_modules/@pulumi/command/local/command.d.ts, `create`). Nothing else re-runs it: no token
 *   is among its inputs (the runner authenticates with Application Default Credentials).
 * - A failed smoke: the runner exits 1, the provider fails the step with the command's whole output
 *   in the error ("%w: running %q:\n%s", pulumi-command provider/pkg/provider/local/
 *   commandOutputs.go), so the up fails with it. Traffic stays staged (`previous` serves). The
 *   `released` output hangs on the command's result, so no output records the revision as
 *   released; the next up plans the same staged release and runs the smoke again.
 * - Refresh: the Service's state reads the live traffic (the target, after a release); the next up
 *   plans `direct` (every serving revision is released) and writes what already serves.
 *   Without a refresh, that up shows one harmless Service update: state holds the staged list,
 *   live holds the target, and the Service writes the target.
 * - Logging: `none`. Nothing in the spec or the output is secret (names, URLs, statuses; the
 *   runner mints the tester's ID token in memory and never prints it), the output is kept as the
 *   command's `stdout` in state and a failure carries it in its error, so the log stream would only
 *   be a second copy.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as command from "@pulumi/command";
import {
    RELEASE_COMMAND,
    type ReleaseChecks,
    type ReleasePlan,
    type ReleaseResult,
    deployerMember,
    parseReleaseResult,
    releaseSpecJson,
    releaseTimeoutMinutes,
} from "./release-plan";
import { ID_TOKEN_ROLE } from "./release-result";

/** The project root: where Pulumi.yaml and scripts/ are (the runner's `dir`). */
export const PROJECT_ROOT = path.resolve(__dirname, "../..");

export interface CloudRunReleaseArgs {
    project: string;
    region: string;
    /** The Cloud Run service (its name is read from it, so the step waits for it). */
    service: gcp.cloudrunv2.Service;
    plan: pulumi.Input<ReleasePlan>;
    checks: ReleaseChecks;
    /**
     * A private service (`public: false`): the tester account id, whose ID token (audience
     * `audience`) the runner calls the tag URL with. @default undefined (public: no token)
     */
    tester?: { accountId: string; audience: string };
    /** Bindings the smoke needs in place (the public invoker). @default [] */
    dependsOn?: pulumi.Resource[];
}

export class CloudRunRelease extends pulumi.ComponentResource {
    public readonly command: command.local.Command;
    /** The tester account of a private service. */
    public readonly tester?: gcp.serviceaccount.Account;
    /** The runner's result line, parsed. */
    public readonly result: pulumi.Output<ReleaseResult>;

    constructor(name: string, args: CloudRunReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("service-deploy:gcp:CloudRunRelease", name, {}, opts);
        const waitFor: pulumi.Resource[] = [args.service, ...(args.dependsOn ?? [])];
        let tester: pulumi.Output<string | null> = pulumi.output(null);
        if (args.tester) {
            this.tester = new gcp.serviceaccount.Account(
                `${name}-tester`,
                {
                    project: args.project,
                    accountId: args.tester.accountId,
                    displayName: "Cloud Run release smoke test",
                },
                { parent: this },
            );
            const me = gcp.organizations.getClientOpenIdUserInfoOutput({ parent: this });
            waitFor.push(
                new gcp.cloudrunv2.ServiceIamMember(
                    `${name}-tester-invoker`,
                    {
                        project: args.project,
                        location: args.region,
                        name: args.service.name,
                        role: "roles/run.invoker",
                        member: pulumi.interpolate`serviceAccount:${this.tester.email}`,
                    },
                    { parent: this },
                ),
                new gcp.serviceaccount.IAMMember(
                    `${name}-tester-token-creator`,
                    {
                        serviceAccountId: this.tester.name,
                        role: ID_TOKEN_ROLE,
                        member: me.email.apply(deployerMember),
                    },
                    { parent: this },
                ),
            );
            tester = this.tester.email;
        }
        const minutes = releaseTimeoutMinutes(args.checks);
        this.command = new command.local.Command(
            `${name}-run`,
            {
                create: RELEASE_COMMAND,
                dir: PROJECT_ROOT,
                environment: {
                    RELEASE_SPEC: pulumi
                        .all([args.service.name, pulumi.output(args.plan), tester])
                        .apply(([service, plan, t]) =>
                            releaseSpecJson({
                                project: args.project,
                                region: args.region,
                                service,
                                smoke: plan.smoke,
                                target: plan.runnerTarget,
                                checks: args.checks,
                                audience: args.tester?.audience ?? null,
                                tester: t,
                            }),
                        ),
                },
                addPreviousOutputInEnv: false,
                logging: "none",
            },
            {
                parent: this,
                dependsOn: waitFor,
                customTimeouts: { create: `${minutes}m`, update: `${minutes}m` },
            },
        );
        this.result = this.command.stdout.apply(parseReleaseResult);
        this.registerOutputs({ result: this.result });
    }
}
