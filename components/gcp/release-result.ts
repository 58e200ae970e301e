/**
 * The program's reading of the release runner's result line: the service's `servingRevision`,
 * `tagUrls` and `deployed` outputs after a release.
 */
import { type CloudRunCondition, cloudRunDeployed, type Deployed } from "../evidence";
import { parseReleaseResult, servingOf, tagUrlsOf } from "./release-plan";

export interface ReleaseOutputs {
    servingRevision: string;
    tagUrls: Record<string, string>;
    deployed: Deployed;
}

/** The outputs for the runner's stdout, the revision this up created and its image. Pure. */
export function releaseOutputs(
    stdout: string,
    a: { image: string; revision: string; terminalConditions: CloudRunCondition[] },
): ReleaseOutputs {
    const r = parseReleaseResult(stdout);
    return {
        servingRevision: servingOf(r),
        tagUrls: tagUrlsOf(r),
        deployed: cloudRunDeployed({
            image: a.image,
            revision: a.revision,
            latestReadyRevision: r.latestReadyRevision,
            terminalConditions: a.terminalConditions,
            trafficStatuses: r.trafficStatuses,
        }),
    };
}
