#!/bin/sh
# The provisioned VM's preparation, run for real on a fresh Debian host on loopback: a Debian
# bookworm rootfs (debootstrap, never booted) under an overlay, booted with systemd in a podman
# container whose only way in is 127.0.0.1:$PORT -> 22, fed the program's cloud-init user data
# through cloud-init's NoCloud data source. Then, as the deploy user over SSH with only the generated host key
# in known_hosts: the cloud-init wait command the stack runs, and the permissions of the host model.
# Usage (root, under the lab lock): flock /tmp/sd-vm-lab.lock sh test/oci/prepare-lab.sh <rootfs>
# DEPLOY=0 stops after the preparation; VM_COMMANDS / VM_SCRIPT point the deploy at a command
# builder and host script with the host model's sudo line (components/vm/ once it has it).
set -eu
ROOTFS=${1:?usage: prepare-lab.sh <debootstrapped rootfs>}
PORT=${PORT:-2323}
REG_PORT=${REG_PORT:-2324}
VM_COMMANDS=${VM_COMMANDS:-$(cd "$(dirname "$0")/../.." && pwd)/components/vm/commands.ts}
VM_SCRIPT=${VM_SCRIPT:-$(cd "$(dirname "$0")/../.." && pwd)/components/vm/deploy.sh}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$(mktemp -d /var/tmp/oci-prepare.XXXXXX)
NAME=oci-prepare-lab
cleanup() {
    podman rm -f "$NAME" >/dev/null 2>&1 || true
    umount "$LAB/merged" 2>/dev/null || true
    rm -rf "$LAB"
}
trap cleanup EXIT INT TERM
step() { printf '== %s\n' "$*"; }

step "keys: the host key (what tls.PrivateKey makes), the deploy key, a self-made certificate"
ssh-keygen -q -t ed25519 -N '' -C '' -f "$LAB/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C deploy@lab -f "$LAB/deploy_ed25519"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=api.lab.test \
    -keyout "$LAB/tls.key" -out "$LAB/tls.crt" 2>/dev/null
(cd "$HERE/../.." && node --import tsx test/oci/user-data.ts "$LAB") > "$LAB/user-data"
cloud-init schema --config-file "$LAB/user-data"

step "a fresh host: overlay on the never-booted rootfs, NoCloud user-data, no apt sources (the lab is offline)"
mkdir -p "$LAB/upper" "$LAB/work" "$LAB/merged"
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$LAB/upper,workdir=$LAB/work" "$LAB/merged"
M=$LAB/merged
# The directory cloud-init's NoCloud data source reads its user-data and meta-data from.
NOCLOUD="$M/var/lib/cloud/seed/nocloud"
mkdir -p "$NOCLOUD"
cp "$LAB/user-data" "$NOCLOUD/user-data"
printf 'instance-id: oci-lab-%s\nlocal-hostname: oci-lab\n' "$(date +%s)" > "$NOCLOUD/meta-data"
printf 'datasource_list: [ NoCloud, None ]\n' > "$M/etc/cloud/cloud.cfg.d/99-lab.cfg"
: > "$M/etc/apt/sources.list"; rm -f "$M/etc/apt/sources.list.d/"* 2>/dev/null || true
rm -f "$M"/etc/ssh/ssh_host_* "$M/etc/machine-id"; : > "$M/etc/machine-id"

step "boot it (systemd as PID 1), SSH only on 127.0.0.1:$PORT"
podman --runtime runc run -d --name "$NAME" --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --systemd=always --privileged \
    --network bridge -p "127.0.0.1:$PORT:22" -p "127.0.0.1:$REG_PORT:5000" --rootfs "$M" /sbin/init >/dev/null
START=$(date +%s)
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$LAB/host_ed25519.pub")" > "$LAB/known_hosts"
SSH="ssh -p $PORT -i $LAB/deploy_ed25519 -o UserKnownHostsFile=$LAB/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=5 deploy@127.0.0.1"
i=0
until $SSH true 2>/dev/null; do
    i=$((i + 1)); [ "$i" -lt 120 ] || { podman exec "$NAME" tail -n 40 /var/log/cloud-init-output.log || true; echo "SSH as deploy with the pinned key never worked" >&2; exit 1; }
    sleep 1
done
echo "SSH as deploy, host key pinned (StrictHostKeyChecking=yes, only the generated key known): $(( $(date +%s) - START )) s after boot"

step "the stack's cloud-init wait command, as the deploy user"
WAIT=$(cd "$HERE/../.." && node --import tsx -e 'const c = require("./components/vm/commands"); const ci = require("./components/oci/cloud-init"); process.stdout.write(c.cloudInitWaitCommand(600, ci.PREPARED_MARKER));')
$SSH "$WAIT"
echo "cloud-init done $(( $(date +%s) - START )) s after boot"

step "the host model: what the deploy user may and may not do"
if $SSH 'sudo -n /usr/sbin/nginx -t' >/dev/null 2>&1; then echo "FAIL: deploy runs nginx as root directly" >&2; exit 1; else echo "ok: sudo nginx refused"; fi
if $SSH 'sudo -n /usr/bin/id' >/dev/null 2>&1; then echo "FAIL: deploy has more sudo than the script line" >&2; exit 1; else echo "ok: sudo id refused"; fi
$SSH 'mkdir -p /opt/service-deploy/probe && printf "id -u\n" > /opt/service-deploy/probe/service-deploy.sh'
[ "$($SSH 'sudo -n /bin/sh /opt/service-deploy/probe/service-deploy.sh status')" = 0 ] && echo "ok: the one sudoers line runs a service script as root"
$SSH 'rm -r /opt/service-deploy/probe'
podman exec "$NAME" stat -c '%U %a %n' /etc/sudoers.d/service-deploy
$SSH 'stat -c "%U %a %n" /opt/service-deploy /var/lib/service-deploy /var/lib/service-deploy/prepared'
$SSH 'test -w /opt/service-deploy && ! test -w /etc/nginx/conf.d && echo "ok: the deploy user writes /opt/service-deploy only"'
podman exec "$NAME" stat -c '%U %a %n' /etc/ssl/service-deploy/fullchain.pem /etc/ssl/service-deploy/privkey.pem
podman exec "$NAME" sh -c 'ls /etc/ssh/ssh_host_*_key.pub'
if ssh -p "$PORT" -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes -o PasswordAuthentication=no root@127.0.0.1 true 2>/dev/null; then echo "FAIL: root login" >&2; exit 1; else echo "ok: no root login"; fi
podman exec "$NAME" systemctl is-active nginx; $SSH 'command -v podman'
echo "PREPARED in $(( $(date +%s) - START )) s"
if [ "${DEPLOY:-1}" = 1 ]; then . "$HERE/deploy-lab.sh"; fi
