/**
 * What the promotion tests share: the saved outputs files in test/fixtures/promote, two digests,
 * the repositories they live in, and a healthy staging service to change one field of.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { StagingService, TargetService } from "../scripts/promotion";

export const ROOT = path.resolve(__dirname, "..");
export const FIX = path.join(ROOT, "test", "fixtures", "promote");
export const D_OLD = "sha256:4f2a9c1e7b3d5a6f8e0c2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a";
export const D_NEW = "sha256:9c3e5a7b1d2f4e6a8c0b2d4f6e8a0c2b4d6f8e0a2c4b6d8f0e2a4c6b8d0f2e4a";
export const ECR = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api";
/** Production's own repository (components/aws/ecr.ts): promotion copies staging's digest there. */
export const PROD_ECR = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/production/api";
export const fixture = (f: string) => JSON.parse(fs.readFileSync(path.join(FIX, f), "utf8"));
export const healthy = (over: Partial<StagingService> = {}): StagingService => ({
    name: "api",
    target: "aws",
    image: `${ECR}@${D_NEW}`,
    digest: D_NEW,
    deployed: { digest: D_NEW, healthy: true, evidence: "ECS reached steady state" },
    ...over,
});
/** Production's one AWS service, at the old digest. */
export const target: TargetService[] = [
    { index: 0, name: "api", target: "aws", ref: `${ECR}@${D_OLD}`, builds: false },
];
/** The GCP stacks' Artifact Registry repository, and two Cloud Run revision names. */
export const GAR = "asia-east1-docker.pkg.dev/acme-services-prod/services/api";
export const SERVING = "api-4f2a9c1e7b3d-cd4119";
export const STALE = "api-9b1c3e5a7d9f-3c4d5e";
