/**
 * Assertions every committed AWS stack must pass, run once per stack file by
 * aws-staging.test.ts and aws-production.test.ts (one stack per process).
 */
import * as fs from "node:fs";
import * as YAML from "yaml";
import { graphOf, type Graph } from "./mocks";
import { deliveryTests } from "./aws-suite-delivery";
import { runtimeTests } from "./aws-suite-runtime";

export interface StackExpectations {
    stack: string;
    tasks: number;
    cpu: string;
    memory: string;
    multiAz: boolean;
    backupRetentionDays: number;
    deletionProtection: boolean;
    performanceInsights: boolean;
    recoveryWindowDays: number;
    natGateways: number;
    /** Whether the stack builds its image (staging) or pins a digest (production). */
    builds: boolean;
}

/** What each part of the suite reads: the expectations, the stack's graph and its stack file. */
export interface SuiteContext {
    e: StackExpectations;
    graph: () => Promise<Graph>;
    stackFile: Record<string, any>;
    testCidr: string;
}

export function awsStackSuite(e: StackExpectations): void {
    let g: Graph;
    const stackFile = YAML.parse(fs.readFileSync(`Pulumi.${e.stack}.yaml`, "utf8")).config;
    const testCidr = stackFile["service-deploy:blueGreen"].testCidr;
    const graph = async () => (g ??= await graphOf(e.stack));
    const ctx: SuiteContext = { e, graph, stackFile, testCidr };
    deliveryTests(ctx);
    runtimeTests(ctx);
}
