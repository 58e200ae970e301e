/**
 * The offline plan's answer for the Cloud Run release step (components/gcp/release.ts): the line
 * the release runner (scripts/gcp-release.ts) prints last, as if its smoke test passed, built by the
 * runner's own spec parser and result builder (scripts/gcp-release/spec.ts) from the service as
 * the Cloud Run API would answer it. scripts/offline/mock-state.ts records each Cloud Run service
 * as written here, and answers the step from it.
 */
import { smokePlan } from "../../components/smoke";
import { parseSpec, resultLine, resultOf, type ServiceView } from "../gcp-release/spec";

/**
 * Each Cloud Run service as the API answers GetService after the Service resource wrote it
 * (project/name): `latestReadyRevision` a full resource name, `trafficStatuses` with tag URLs.
 */
export const cloudRunServices = new Map<string, ServiceView>();

/**
 * What the release runner prints last, answered offline as if its smoke test passed (every check
 * answering 200): the traffic it moved to, or the traffic the Service wrote when it only read it
 * back. "" for a spec the runner would refuse (it prints no result then).
 */
export function offlineReleaseStdout(specJson: string | undefined): string {
    const parsed = parseSpec(specJson);
    if (!parsed.ok) return "";
    const spec = parsed.value;
    const written = cloudRunServices.get(`${spec.project}/${spec.service}`) ?? {};
    const host = `${spec.service}-abc123xyz-de.a.run.app`;
    const svc: ServiceView = spec.target
        ? {
              ...written,
              trafficStatuses: spec.target.map((t) => ({ ...t, uri: `https://${t.tag}---${host}` })),
          }
        : written;
    const smoke = spec.smoke
        ? {
              ok: true,
              results: smokePlan(spec.checks).map((c) => ({
                  path: c.path,
                  expected: c.status === undefined ? "2xx" : String(c.status),
                  status: c.status ?? 200,
                  ok: true,
                  durationMs: 0,
              })),
          }
        : null;
    return resultLine(resultOf(spec, svc, smoke));
}
