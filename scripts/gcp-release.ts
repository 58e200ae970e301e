/**
 * The Cloud Run release runner: `node --require ./scripts/register.js scripts/gcp-release.ts`
 * from the project root, run by the Pulumi program's `local.Command` after the Service resource
 * has written the new revision tagged at 0%. It smoke-tests the revision on its tag URL and only
 * then moves the traffic (scripts/gcp-release/release.ts; docs/gcp.md, "The release runner").
 *
 * Input: `RELEASE_SPEC` (JSON, scripts/gcp-release/spec.ts). Credentials: Application Default
 * Credentials through google-auth-library; nothing secret is read from the spec or the command
 * line, and no token is printed. `RELEASE_RUN_API` and `RELEASE_IAM_API` point the runner at
 * loopback fakes in tests only.
 *
 * Exit 0 released (or verified), 1 smoke test or API failure (traffic not moved by the runner),
 * 2 bad spec. The last stdout line is `release-result: <json>` whenever the service was read.
 */
import { GoogleAuth } from "google-auth-library";
import type { TokenSource } from "./gcp-release/api";
import { release } from "./gcp-release/release";
import { parseSpec } from "./gcp-release/spec";

/**
 * Application Default Credentials, cloud-platform scope (what Cloud Run Admin and IAM Credentials
 * accept). The project is given, so google-auth-library never looks it up (gcloud config, the
 * metadata server or, for workload identity federation, Cloud Resource Manager).
 */
export function adcTokenSource(project: string): TokenSource {
    const auth = new GoogleAuth({
        scopes: ["https://www.googleapis.com/auth/cloud-platform"],
        projectId: project,
    });
    return {
        // getRequestHeaders (google-auth-library 10.5.0, AuthClient.addSharedMetadataHeaders) adds
        // `x-goog-user-project` when the credentials carry `quota_project_id`; IAM Credentials may
        // refuse end-user credentials without it.
        async requestHeaders() {
            const headers = Object.fromEntries((await auth.getRequestHeaders()).entries());
            if (!headers.authorization)
                throw new Error(
                    "no access token from Application Default Credentials: run `gcloud auth application-default login` " +
                        "(a laptop) or set up workload identity (CI)",
                );
            return headers;
        },
    };
}

async function main(): Promise<number> {
    const spec = parseSpec(process.env.RELEASE_SPEC);
    if (!spec.ok) {
        process.stderr.write(`gcp-release: bad release spec, nothing done:\n${spec.error}\n`);
        return 2;
    }
    return release(spec.value, {
        auth: adcTokenSource(spec.value.project),
        runApi: process.env.RELEASE_RUN_API || undefined,
        iamApi: process.env.RELEASE_IAM_API || undefined,
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
    });
}

if (require.main === module) {
    main().then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            process.stderr.write(`gcp-release: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exitCode = 1;
        },
    );
}
