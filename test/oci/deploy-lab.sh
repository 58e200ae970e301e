# Sourced by prepare-lab.sh (DEPLOY=1, the default) while the prepared host runs: the normal
# deploy against it as the deploy user, through the host model's sudo line. The lab host is
# offline, so it gets a registry of its own on its port 5000 (Debian's docker-registry,
# published to the machine's 127.0.0.1:$REG_PORT for the push) and the test app image
# (test/vm/app/serve.c, static, on busybox). The deploy line comes from VM_COMMANDS (the VM
# target's command builder) and the script from VM_SCRIPT.
step "the lab host's registry and the test image"
cp /usr/bin/docker-registry "$M/usr/local/bin/docker-registry"
mkdir -p "$M/etc/docker/registry"
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\n' > "$M/etc/docker/registry/config.yml"
printf 'unqualified-search-registries = []\n[[registry]]\nlocation = "127.0.0.1:5000"\ninsecure = true\n' > "$M/etc/containers/registries.conf.d/lab.conf"
printf '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' > "$M/etc/containers/storage.conf"
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' > "$M/etc/containers/containers.conf"
podman exec -d "$NAME" /usr/local/bin/docker-registry serve /etc/docker/registry/config.yml
IMG=$LAB/img; mkdir -p "$IMG/bin" "$IMG/www"
gcc -static -O2 -o "$IMG/bin/serve" "$HERE/../vm/app/serve.c"
cp /bin/busybox "$IMG/bin/busybox"; for a in sh sleep cat wget kill; do ln -s busybox "$IMG/bin/$a"; done
for p in liveness readiness health version; do echo "ok oci-lab" > "$IMG/www/$p"; done
printf '#!/bin/sh\n[ -n "${DATABASE_URL:-}" ] || { echo "DATABASE_URL is not set" >&2; exit 1; }\nserve 8080 /www &\npid=$!\ntrap '"'"'kill "$pid"; exit 0'"'"' TERM INT\nwait "$pid"\n' > "$IMG/start"; chmod 0755 "$IMG/start"
tar -C "$IMG" -cf "$LAB/img.tar" .
TAG=127.0.0.1:$REG_PORT/app:oci-lab
podman manifest rm "$TAG" >/dev/null 2>&1 || true
podman manifest create "$TAG" >/dev/null
for a in amd64 arm64; do
    podman import --arch "$a" --change 'CMD ["/start"]' "$LAB/img.tar" "$TAG-$a" >/dev/null 2>&1
    podman manifest add "$TAG" "containers-storage:$TAG-$a" >/dev/null
done
i=0; until podman manifest push --all --tls-verify=false --format v2s2 --digestfile "$LAB/digest" "$TAG" "docker://$TAG" >"$LAB/push.log" 2>&1; do i=$((i + 1)); [ "$i" -lt 20 ] || { tail -n 3 "$LAB/push.log" >&2; echo "push to the lab host registry failed" >&2; exit 1; }; sleep 1; done
podman manifest rm "$TAG" >/dev/null 2>&1; podman rmi "$TAG-amd64" "$TAG-arm64" >/dev/null 2>&1 || true
IMAGE=127.0.0.1:5000/app@$(cat "$LAB/digest")
echo "image $IMAGE"

step "the normal deploy, as the deploy user: prepare, the script and the 0600 env file copied, the deploy line"
LINES=$(cd "$HERE/../.." && IMAGE=$IMAGE node --import tsx -e '
const c = require(process.env.VM_COMMANDS);
const p = c.hostPaths("api");
const o = { service: "api", image: process.env.IMAGE, imagePlatforms: ["linux/amd64", "linux/arm64"], arch: "amd64", runtime: "podman", port: 8080,
  readinessPath: "/readiness", livenessPath: "/liveness", healthPath: "/health", memory: "256m", cpus: "0.5", restart: "unless-stopped",
  drainSeconds: 1, bakeSeconds: 0, healthTimeoutSeconds: 30, keep: 2, lockTimeoutSeconds: 60, envPlain: ["APP_ENV"], envSecret: ["DATABASE_URL"],
  listen: 443, serverName: "api.lab.test", tlsCert: "/etc/ssl/service-deploy/fullchain.pem", tlsKey: "/etc/ssl/service-deploy/privkey.pem",
  subnet: "10.213.0.0/24", sudo: true };
process.stdout.write([c.prepareCommand(p), p.script, p.envFile, c.deployCommand(p, o)].join("\n"));')
PREPARE=$(echo "$LINES" | sed -n 1p); SCRIPT=$(echo "$LINES" | sed -n 2p); ENVF=$(echo "$LINES" | sed -n 3p); DEPLOY_LINE=$(echo "$LINES" | sed -n 4p)
$SSH "$PREPARE"
SCP="scp -q -P $PORT -i $LAB/deploy_ed25519 -o UserKnownHostsFile=$LAB/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes"
$SCP "$VM_SCRIPT" "deploy@127.0.0.1:$SCRIPT"
# The parts the script sources, beside it in host/ (hostScriptFiles), copied the same way.
$SCP "$(dirname "$VM_SCRIPT")"/host/*.sh "deploy@127.0.0.1:$(dirname "$SCRIPT")/host/"
printf 'APP_ENV=oci-lab\nDATABASE_URL=postgresql://lab@127.0.0.1/lab\n' > "$LAB/env"; chmod 0600 "$LAB/env"
$SCP "$LAB/env" "deploy@127.0.0.1:$ENVF"
T0=$(date +%s)
$SSH "$DEPLOY_LINE" > "$LAB/deploy.out" 2>&1 || { tail -n 30 "$LAB/deploy.out" >&2; echo "FAIL: the deploy on the prepared host" >&2; exit 1; }
tail -n 3 "$LAB/deploy.out"
echo "deploy took $(( $(date +%s) - T0 )) s"
step "the front door: nginx on the prepared host serves the new color over TLS"
podman exec "$NAME" sh -c 'curl -sk --resolve api.lab.test:443:127.0.0.1 https://api.lab.test/health'
grep -q '^ACTIVE service=api color=' "$LAB/deploy.out" && echo "DEPLOYED on the prepared host as the deploy user"
