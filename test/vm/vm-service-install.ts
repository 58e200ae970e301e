/**
 * One service installed on the lab host for vm.test.ts: its directories (prepareCommand), the
 * host script with its parts, a 0600 env file holding a database URL, and the deploy options
 * every scenario starts from.
 */
import assert from "node:assert/strict";
import {
    type DeployOptions,
    envFileContent,
    type HostPaths,
    hostPaths,
    prepareCommand,
} from "../../components/vm/commands";
import type { Lab } from "./lab";

/** Install `service` with `runtime` on its own `subnet`; returns its paths and base options. */
export function installService(
    lab: Lab,
    service: string,
    runtime: "podman" | "docker",
    subnet: string,
): { p: HostPaths; o: DeployOptions } {
    const p = hostPaths(service, lab.hostRoot);
    assert.equal(lab.ssh(prepareCommand(p)).code, 0);
    lab.installScript(p);
    lab.copy(
        envFileContent({
            APP_ENV: "staging",
            DATABASE_URL: "postgresql://app:lab-db-password@db.internal:5432/app",
            LOG_LEVEL: "debug",
        }),
        p.envFile,
        "0600",
    );
    const o: DeployOptions = {
        service,
        image: "",
        imagePlatforms: ["linux/amd64", "linux/arm64"],
        arch: "amd64",
        runtime,
        port: 8080,
        subnet,
        readinessPath: "/readiness",
        livenessPath: "/liveness",
        healthPath: "/health",
        memory: "256m",
        cpus: "0.5",
        restart: "unless-stopped",
        drainSeconds: 2,
        healthTimeoutSeconds: 15,
        keep: 2,
        lockTimeoutSeconds: 2,
        envPlain: ["APP_ENV", "LOG_LEVEL"],
        envSecret: ["DATABASE_URL"],
        listen: 8088,
        serverName: "_",
        stateDir: lab.stateDir,
        nginxConf: lab.nginxConf,
        nginxDir: lab.nginxDir,
    };
    return { p, o };
}
