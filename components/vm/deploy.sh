#!/bin/sh
# service-deploy.sh: zero-downtime blue-green deploys of one service on one host, with docker or
# podman behind nginx. Plain POSIX sh; one function per step; every step says what it does on
# stderr, and every failure says what to do next (a catalogued one with its SD code, as cite()
# writes it). Built and tested with components/vm/commands.ts. Its steps live in host/*.sh beside
# it, one concern a file, sourced below.
#
#   service-deploy.sh deploy   --service=api --image=<repo>@sha256:<digest> --arch=arm64 ...
#   service-deploy.sh rollback --service=api ...      back to the kept previous color, no pull
#                                                     (a switch only, while it is still baking)
#   service-deploy.sh status   --service=api ...      active color, digest, health (exit 1 if unhealthy)
#   service-deploy.sh remove   --service=api ...      stop and remove the service (keeps the audit log)
#   service-deploy.sh watchdog-check --service=api ...  one health probe; 3 failures in a row restart
#                                                        the active container and post to the webhook;
#                                                        also stops a previous color whose bake ended
#   service-deploy.sh watchdog-install --service=api ... a systemd timer (or cron) running the check
#                                                        with exactly the flags it was given
#
# Runs as root: logged in as root, or as the deploy user through sudo with the one sudoers line of
# docs/vm.md#host-model (rootful podman or docker, the host's nginx, root's crontab or systemd).
#
# Bake (--bake=SECONDS, > 0): after a switch the previous color keeps running that long, as ECS keeps
# the blue task set through its bake time, so a rollback in that window is an nginx switch, with no
# container start. When the bake ends the watchdog's next check (or the next deploy) drains nothing
# (nginx no longer sends it traffic) and stops it, keeping it for a slower rollback. --bake=0 stops
# the old color right after the drain.
#
# Secrets never appear on the command line: the env file (0600) is copied beforehand, and the
# registry password, when needed, arrives on stdin.
# Tests only: SERVICE_DEPLOY_HOST_ARCH overrides the host architecture (uname -m);
# SERVICE_DEPLOY_SYSTEMD_RUN (/run/systemd/system) and SERVICE_DEPLOY_CRONTAB (crontab) what the
# watchdog's scheduler detection looks for; SERVICE_DEPLOY_UNIT_DIR (/etc/systemd/system) and
# SERVICE_DEPLOY_SYSTEMCTL (systemctl) where its units go and what loads them.
set -eu

log() { printf '%s service-deploy[%s]: %s\n' "$(date -u +%H:%M:%S)" "${SERVICE:-?}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# cite CODE MESSAGE: a failure of docs/failures.md as components/failures.ts's cite() writes it,
# `SD-022: ... (see docs/failures.md#sd-022)`, so a user searches one code wherever it appears.
cite() { printf '%s: %s (see docs/failures.md#sd-%s)' "$1" "$2" "${1#SD-}"; }
now_ms() { ms=$(date +%s%3N 2>/dev/null) || ms=""; case "$ms" in *N|"") echo "$(( $(date +%s) * 1000 ))" ;; *) echo "$ms" ;; esac; }

# ---------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------
SUBCOMMAND=${1:-}
[ -n "$SUBCOMMAND" ] || die "usage: service-deploy.sh deploy|rollback|status|remove|watchdog-check|watchdog-install --service=NAME ..."
shift
SERVICE="" IMAGE="" ARCH="arm64" RUNTIME="docker" PORT="8080" BLUE_PORT="" GREEN_PORT=""
READINESS="/readiness" HEALTH="/health" MEMORY="" CPUS="" RESTART="unless-stopped"
DRAIN=10 BAKE=0 HEALTH_TIMEOUT=30 KEEP=2 LOCK_TIMEOUT=60 ENV_FILE="" STATE_ROOT="/var/lib/service-deploy"
NGINX_CONF="" NGINX_DIR="/etc/nginx/conf.d" LISTEN="80" SERVER_NAME="_" TLS_CERT="" TLS_KEY=""
REGISTRY="" REGISTRY_USER="" WEBHOOK_FILE="" INTERVAL=60 SUBNET="" SECRETS_DIR=""
# sq VALUE: VALUE single-quoted for sh.
sq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
# The arguments as given, quoted, less --interval: the installed watchdog runs with exactly these.
ARGS_Q=""
for arg in "$@"; do
    case "$arg" in --interval=*) ;; *) ARGS_Q="$ARGS_Q $(sq "$arg")" ;; esac
    case "$arg" in
        --service=*) SERVICE=${arg#*=} ;;
        --image=*) IMAGE=${arg#*=} ;;
        --arch=*) ARCH=${arg#*=} ;;
        --runtime=*) RUNTIME=${arg#*=} ;;
        --port=*) PORT=${arg#*=} ;;
        --blue-port=*) BLUE_PORT=${arg#*=} ;;
        --green-port=*) GREEN_PORT=${arg#*=} ;;
        --readiness-path=*) READINESS=${arg#*=} ;;
        --health-path=*) HEALTH=${arg#*=} ;;
        --memory=*) MEMORY=${arg#*=} ;;
        --cpus=*) CPUS=${arg#*=} ;;
        --restart=*) RESTART=${arg#*=} ;;
        --drain=*) DRAIN=${arg#*=} ;;
        --bake=*) BAKE=${arg#*=} ;;
        --health-timeout=*) HEALTH_TIMEOUT=${arg#*=} ;;
        --keep=*) KEEP=${arg#*=} ;;
        --lock-timeout=*) LOCK_TIMEOUT=${arg#*=} ;;
        --env-file=*) ENV_FILE=${arg#*=} ;;
        --state-dir=*) STATE_ROOT=${arg#*=} ;;
        --nginx-conf=*) NGINX_CONF=${arg#*=} ;;
        --nginx-dir=*) NGINX_DIR=${arg#*=} ;;
        --listen=*) LISTEN=${arg#*=} ;;
        --server-name=*) SERVER_NAME=${arg#*=} ;;
        --tls-cert=*) TLS_CERT=${arg#*=} ;;
        --tls-key=*) TLS_KEY=${arg#*=} ;;
        --registry=*) REGISTRY=${arg#*=} ;;
        --registry-user=*) REGISTRY_USER=${arg#*=} ;;
        --webhook-file=*) WEBHOOK_FILE=${arg#*=} ;;
        --interval=*) INTERVAL=${arg#*=} ;;
        --subnet=*) SUBNET=${arg#*=} ;;
        --secrets-dir=*) SECRETS_DIR=${arg#*=} ;;
        --image-platforms=*|--env-plain=*|--env-secret=*|--liveness-path=*|--env-version=*) ;; # facts for the policy pack and Pulumi
        *) die "unknown argument $arg" ;;
    esac
done
[ -n "$SERVICE" ] || die "--service=NAME is required"
case "$SERVICE" in *[!a-z0-9-]*) die "--service must be a-z, 0-9 and -" ;; esac
case "$BAKE$DRAIN$KEEP" in *[!0-9]*) die "--bake, --drain and --keep take whole seconds or counts" ;; esac
case "$RUNTIME" in docker|podman) ;; *) die "--runtime must be docker or podman, not $RUNTIME" ;; esac
RT=$RUNTIME
STATE_DIR="$STATE_ROOT/$SERVICE"
LOCK_DIR="$STATE_DIR/lock"
STATE_FILE="$STATE_DIR/state"
AUDIT_LOG="$STATE_DIR/audit.log"
UPSTREAM_FILE="$NGINX_DIR/$SERVICE-upstream.conf"
SITE_FILE="$NGINX_DIR/$SERVICE-site.conf"
[ "$(id -u)" -eq 0 ] || die "service-deploy.sh runs as root: log in as root, or as the deploy user through sudo (sudo -n /bin/sh $0 $SUBCOMMAND ...; the sudoers line is in docs/vm.md#host-model)"
# Who asked, for the audit log and the lock: the deploy user behind sudo, or root.
WHO=${SUDO_USER:-$(id -un 2>/dev/null || echo "?")}

nginx_cmd() { if [ -n "$NGINX_CONF" ]; then nginx -c "$NGINX_CONF" "$@"; else nginx "$@"; fi; }
listen_url() {
    scheme=http; [ -n "$TLS_CERT" ] && scheme=https
    case "$LISTEN" in *:*) echo "$scheme://$LISTEN" ;; *) echo "$scheme://127.0.0.1:$LISTEN" ;; esac
}
port_of() { if [ "$1" = blue ]; then echo "$BLUE_PORT"; else echo "$GREEN_PORT"; fi; }
# With --subnet, each color has a fixed address on the service's own network and nginx talks to
# it directly: no published port, so no port-forwarding rules for the runtime to rewrite while
# traffic flows. Without it, the colors publish 127.0.0.1:<port>.
NET="service-deploy-$SERVICE"
ip_of() { p=${SUBNET%.*}; if [ "$1" = blue ]; then echo "$p.10"; else echo "$p.11"; fi; }
# A fixed MAC derived from the fixed IP: a restarted container keeps both, so the host's
# neighbour cache never points at a vanished interface (a new MAC made a restarted color
# unreachable for ~40 s until the stale ARP entry expired).
mac_of() { printf '02:00:%02x:%02x:%02x:%02x' $(ip_of "$1" | tr '.' ' '); }
addr_of() { if [ -n "$SUBNET" ]; then echo "$(ip_of "$1"):$PORT"; else echo "127.0.0.1:$(port_of "$1")"; fi; }
ensure_network() {
    [ -n "$SUBNET" ] || return 0
    if info=$($RT network inspect "$NET" 2>/dev/null); then
        echo "$info" | grep -qF "\"$SUBNET\"" && return 0
        log "network $NET has another subnet than $SUBNET; recreating it"
        $RT network rm "$NET" >/dev/null 2>&1 || die "network $NET exists with another subnet and is in use; stop its containers (service-deploy.sh remove) or set vm.networkPrefix back"
    fi
    $RT network create --subnet "$SUBNET" "$NET" >/dev/null || die "could not create network $NET ($SUBNET)"
}
other() { if [ "$1" = blue ]; then echo green; else echo blue; fi; }
container() { echo "$SERVICE-$1"; }
audit() { printf '%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$WHO" "$*" >> "$AUDIT_LOG"; }

# ---------------------------------------------------------------------------------------------
# The parts, one concern each, shipped beside this file (components/vm/host/*.sh go to host/ next
# to it, written like it by the same deploy): sourced here, never run on their own.
# ---------------------------------------------------------------------------------------------
HOST_PARTS=$(dirname "$0")/host
for part in state image colors nginx release watchdog; do
    [ -r "$HOST_PARTS/$part.sh" ] || die "$HOST_PARTS/$part.sh is missing: the script's parts ship beside it in host/; run the deploy again (pulumi up) to copy them"
    . "$HOST_PARTS/$part.sh"
done

mkdir -p "$STATE_DIR"
case "$SUBCOMMAND" in
    deploy) deploy ;;
    rollback) rollback ;;
    status) status ;;
    remove) remove ;;
    watchdog-check) watchdog_check ;;
    watchdog-install) watchdog_install ;;
    *) die "unknown subcommand $SUBCOMMAND (deploy, rollback, status, remove, watchdog-check, watchdog-install)" ;;
esac
