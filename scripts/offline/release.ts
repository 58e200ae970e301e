/**
 * The offline plan's answer for the Cloud Run release step (components/gcp/release.ts): what the
 * release runner (scripts/gcp-release.ts) prints last, as if its smoke test passed. scripts/offline/mock-state.ts
 * records the traffic each Cloud Run service is written with here, and answers the step from it.
 */
import { formatReleaseResult, type ReleaseSpec } from "../../components/gcp/release-plan";

/** Traffic each Cloud Run service was last written with (project/name), for the release step's answer. */
export const cloudRunTraffic = new Map<
    string,
    { revision: string; percent: number; tag?: string; uri: string }[]
>();

/**
 * What the release runner (scripts/gcp-release.ts) prints last, answered offline as if its smoke
 * test passed: the traffic it moved to, or the traffic the Service wrote when it only read it back.
 */
export function offlineReleaseStdout(specJson: string | undefined): string {
    if (!specJson) return "";
    const spec = JSON.parse(specJson) as ReleaseSpec;
    const written = cloudRunTraffic.get(`${spec.project}/${spec.service}`) ?? [];
    const host = `${spec.service}-abc123xyz-de.a.run.app`;
    const traffic = spec.target
        ? spec.target.map((t) => ({ ...t, uri: `https://${t.tag}---${host}` }))
        : written.map((t) => ({ revision: t.revision, percent: t.percent, tag: t.tag ?? "", uri: t.uri }));
    const latest = spec.smoke
        ? (traffic.find((t) => t.tag === spec.smoke!.tag)?.revision ?? "")
        : ([...traffic].sort((a, b) => b.percent - a.percent)[0]?.revision ?? "");
    return formatReleaseResult({
        service: spec.service,
        smoked: spec.smoke !== null,
        smoke: spec.smoke,
        latestReadyRevision: latest,
        trafficStatuses: traffic,
    });
}
