/**
 * The watchdog on a systemd host: the units deploy.sh writes pass systemd's own checker
 * (`systemd-analyze verify`), the timer runs the check file holding the install's own flags, and
 * the script asks systemctl to reload and enable it. This machine boots no systemd, so the unit
 * directory and the systemctl the script calls are pointed at a sandbox (the script's test-only
 * SERVICE_DEPLOY_* variables); the cron path and the host without either run on the lab
 * (recovery.test.ts, host-model.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = path.resolve(__dirname, "..", "..", "components", "vm", "deploy.sh");
const skip =
    process.getuid?.() !== 0
        ? "not root: the script runs as root"
        : fs.existsSync("/usr/bin/systemd-analyze")
          ? undefined
          : "systemd-analyze is missing (apt-get install systemd)";

test("on a systemd host the watchdog is a timer whose units systemd accepts, running the install's own flags", {
    skip,
}, () => {
    const t = fs.mkdtempSync(path.join(os.tmpdir(), "sd-vm-units-"));
    try {
        for (const d of ["run", "units", "state"]) fs.mkdirSync(path.join(t, d));
        const calls = path.join(t, "calls");
        fs.writeFileSync(path.join(t, "systemctl"), `#!/bin/sh\necho "$@" >> ${calls}\n`, { mode: 0o755 });
        const flags = [
            "--service=api",
            `--state-dir=${t}/state`,
            "--listen=443",
            "--server-name=api.example.com",
            "--tls-cert=/etc/tls/fullchain.pem",
            "--tls-key=/etc/tls/privkey.pem",
            "--health-path=/health",
        ];
        const r = spawnSync("sh", [SCRIPT, "watchdog-install", ...flags, "--interval=30"], {
            encoding: "utf8",
            env: {
                ...process.env,
                SERVICE_DEPLOY_SYSTEMD_RUN: `${t}/run`,
                SERVICE_DEPLOY_UNIT_DIR: `${t}/units`,
                SERVICE_DEPLOY_SYSTEMCTL: `${t}/systemctl`,
            },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /WATCHDOG_INSTALLED service=api via=systemd/);
        const unit = path.join(t, "units", "service-deploy-api-watchdog");
        const verify = (...files: string[]) =>
            spawnSync("systemd-analyze", ["verify", ...files], { encoding: "utf8" });
        const ok = verify(`${unit}.timer`, `${unit}.service`);
        assert.equal(ok.status, 0, ok.stderr);
        assert.match(fs.readFileSync(`${unit}.timer`, "utf8"), /^OnUnitActiveSec=30s$/m);
        assert.match(
            fs.readFileSync(`${unit}.service`, "utf8"),
            new RegExp(`^ExecStart=/bin/sh ${t}/state/api/watchdog\\.sh$`, "m"),
        );
        assert.equal(
            fs.readFileSync(path.join(t, "state", "api", "watchdog.sh"), "utf8").split("\n")[2],
            `exec /bin/sh '${SCRIPT}' watchdog-check ${flags.map((f) => `'${f}'`).join(" ")}`,
        );
        assert.equal(
            fs.readFileSync(calls, "utf8"),
            "daemon-reload\nenable --now service-deploy-api-watchdog.timer\n",
        );
        // The checker can fail: a relative ExecStart is refused.
        const bad = path.join(t, "units", "service-deploy-bad-watchdog.service");
        fs.writeFileSync(
            bad,
            fs.readFileSync(`${unit}.service`, "utf8").replace("ExecStart=/bin/sh", "ExecStart=bin/sh"),
        );
        assert.notEqual(verify(bad).status, 0);
    } finally {
        fs.rmSync(t, { recursive: true, force: true });
    }
});
