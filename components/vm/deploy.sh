#!/bin/sh
# service-deploy.sh: zero-downtime blue-green deploys of one service on one host, with docker or
# podman behind nginx. Plain POSIX sh; one function per step; every step says what it does on
# stderr, and every failure says what to do next. Built and tested with components/vm/commands.ts.
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
# Lock: one deploy per service at a time
# ---------------------------------------------------------------------------------------------
# Who holds the lock, for whoever waits on it: lock_owner ACTION
lock_owner() { echo "pid=$$ host=$HOSTNAME_ user=$WHO since=$(date -u +%Y-%m-%dT%H:%M:%SZ) action=$1" > "$LOCK_DIR/owner"; }
HOSTNAME_=$(hostname)

lock() {
    mkdir -p "$STATE_DIR"
    waited=0
    while ! mkdir "$LOCK_DIR" 2>/dev/null; do
        owner=$(cat "$LOCK_DIR/owner" 2>/dev/null || echo "unknown")
        pid=$(echo "$owner" | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
        host=$(echo "$owner" | sed -n 's/.*host=\([^ ]*\).*/\1/p')
        if [ -n "$pid" ] && [ "$host" = "$HOSTNAME_" ] && ! kill -0 "$pid" 2>/dev/null; then
            log "taking over a stale lock ($owner): that process is gone"
            rm -rf "$LOCK_DIR"
            continue
        fi
        if [ "$waited" -ge "$LOCK_TIMEOUT" ]; then
            die "another deploy of $SERVICE holds the lock: $owner. Wait for it to finish, or, if it is gone, remove $LOCK_DIR"
        fi
        [ "$waited" -eq 0 ] && log "waiting for the lock held by $owner (up to ${LOCK_TIMEOUT}s)"
        sleep 1
        waited=$((waited + 1))
    done
    lock_owner "$SUBCOMMAND"
    trap 'rm -rf "$LOCK_DIR"' EXIT
    trap 'exit 130' INT TERM HUP
}

# ---------------------------------------------------------------------------------------------
# State: what serves. nginx's upstream file is the truth; the state file is rebuilt from it when an
# interrupted deploy left them apart.
# ---------------------------------------------------------------------------------------------
# Both read with the shell's own read (no sed, no fork): the rollback inside the bake reads them
# a dozen times.
state_get() {
    [ -f "$STATE_FILE" ] || return 0
    sg_v=""
    while IFS= read -r sg_l; do case "$sg_l" in "$1="*) sg_v=${sg_l#*=} ;; esac; done < "$STATE_FILE"
    echo "$sg_v"
}
upstream_get() {
    [ -f "$UPSTREAM_FILE" ] || return 0
    IFS= read -r ug_l < "$UPSTREAM_FILE" || true
    case "$ug_l" in "# service-deploy: "*) ;; *) return 0 ;; esac
    for ug_w in $ug_l; do case "$ug_w" in "$1="*) echo "${ug_w#*=}"; return 0 ;; esac; done
}
# state_write COLOR DIGEST IMAGE PREVIOUS_COLOR PREVIOUS_DIGEST PREVIOUS_IMAGE [RETIRE_AT]
# RETIRE_AT: epoch seconds after which the previous color, still running, is stopped; empty when
# it is already stopped.
state_write() {
    tmp="$STATE_FILE.tmp.$$"
    printf 'color=%s\ndigest=%s\nimage=%s\nprevious_color=%s\nprevious_digest=%s\nprevious_image=%s\nretire_at=%s\ntime=%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "${7:-}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$tmp"
    mv "$tmp" "$STATE_FILE"
}

# Stops the previous color once its bake has ended (it stays, stopped, for rollback), unless it is
# what serves: nginx's upstream names it, or the active color does not answer (nginx's backup
# server, the previous color, is then what answers). Caller holds the lock.
retire_if_due() {
    at=$(state_get retire_at)
    [ -n "$at" ] && [ "$(date +%s)" -ge "$at" ] || return 0
    prev=$(state_get previous_color) act=$(state_get color)
    if [ -n "$prev" ] && [ "$prev" != "$act" ]; then
        if [ "$prev" = "$(upstream_get color)" ]; then
            log "the bake of $(container "$prev") ended, but nginx's upstream names it: not stopping it"
            return 0
        fi
        if ! probe "$(addr_of "$act")" "$READINESS"; then
            log "the bake of $(container "$prev") ended, but $(container "$act") does not answer $READINESS: $(container "$prev") keeps running (nginx's backup answers for it)"
            return 0
        fi
        log "the bake of $(container "$prev") ended: stopping it (kept for rollback)"
        $RT stop -t 10 "$(container "$prev")" >/dev/null 2>&1 || true
        audit "retire color=$prev"
    fi
    state_write "$(state_get color)" "$(state_get digest)" "$(state_get image)" "$prev" "$(state_get previous_digest)" "$(state_get previous_image)" ""
}

# Images of the last KEEP+1 deployed digests stay on the host (the active one and KEEP previous);
# older ones are removed unless a container still uses them. Podman records the reference an image
# was pulled by, so the index digest the deploy pulled removes it.
remember_image() {
    f="$STATE_DIR/images"
    { grep -vxF "$IMAGE" "$f" 2>/dev/null || true; echo "$IMAGE"; } > "$f.tmp.$$" && mv "$f.tmp.$$" "$f"
}
prune_images() {
    f="$STATE_DIR/images"
    [ -f "$f" ] || return 0
    excess=$(( $(wc -l < "$f") - KEEP - 1 ))
    [ "$excess" -gt 0 ] || return 0
    in_use=""
    for c in blue green; do in_use="$in_use $($RT inspect -f '{{index .Config.Labels "service-deploy.image"}}' "$(container "$c")" 2>/dev/null || true)"; done
    head -n "$excess" "$f" | while IFS= read -r old; do
        case " $in_use " in *" $old "*) log "keeping $old: a kept container uses it"; continue ;; esac
        if out=$($RT rmi "$old" 2>&1); then log "removed the image $old (keeping $KEEP previous versions)"; else log "could not remove $old: $(echo "$out" | tail -n 1)"; fi
    done
    tail -n "+$((excess + 1))" "$f" > "$f.tmp.$$" && mv "$f.tmp.$$" "$f"
}

# An interrupted switch leaves the upstream file and the state apart, and nginx may or may not
# have loaded the file (the cut can come between the write and the reload). The truth is made,
# not guessed: when the color the file names answers, nginx is reloaded so it serves exactly that;
# when it does not and the recorded color does, the file goes back to the recorded color. Nothing
# is stopped here; the color no longer served retires after the bake (or the drain), through
# retire_if_due, which never stops what serves. Caller holds the lock.
# The image of a failed deploy goes, unless a deployed version or a container uses it.
prune_failed() {
    grep -qxF "$IMAGE" "$STATE_DIR/images" 2>/dev/null && return 0
    for c in blue green blue-kept green-kept; do
        [ "$($RT inspect -f '{{index .Config.Labels "service-deploy.image"}}' "$(container "$c")" 2>/dev/null || true)" = "$IMAGE" ] && return 0
    done
    if $RT rmi "$IMAGE" >/dev/null 2>&1; then log "removed the image of the failed deploy, $IMAGE"; fi
}

recover() {
    serving=$(upstream_get color)
    recorded=$(state_get color)
    [ -n "$serving" ] && [ "$serving" != "$recorded" ] || return 0
    log "recovering: nginx's upstream file names $serving but the state says ${recorded:-nothing} (an interrupted deploy)"
    if [ -n "$recorded" ] && ! probe "$(addr_of "$serving")" "$READINESS" && probe "$(addr_of "$recorded")" "$READINESS"; then
        log "$(container "$serving") does not answer $READINESS and $(container "$recorded") does: nginx goes back to $recorded"
        keep_image=$IMAGE; IMAGE=$(state_get image)
        switch_to "$recorded"
        IMAGE=$keep_image
        audit "recover color=$recorded (back)"
        return 0
    fi
    nginx_reload
    log "nginx reloaded: it serves $serving, as the upstream file says; the state follows"
    linger=$BAKE; [ "$DRAIN" -gt "$linger" ] && linger=$DRAIN
    state_write "$serving" "$(upstream_get digest)" "$(upstream_get image)" "${recorded:-}" "$(state_get digest)" "$(state_get image)" "$(( $(date +%s) + linger ))"
    audit "recover color=$serving digest=$(upstream_get digest)"
}

# ---------------------------------------------------------------------------------------------
# Registry, architecture, image
# ---------------------------------------------------------------------------------------------
registry_of() { echo "${1%%/*}"; }

registry_login() {
    [ -n "$REGISTRY_USER" ] || return 0
    reg=${REGISTRY:-$(registry_of "$IMAGE")}
    log "logging in to $reg as $REGISTRY_USER (password from stdin)"
    if ! out=$($RT login --username "$REGISTRY_USER" --password-stdin "$reg" 2>&1); then
        die "registry authentication failed: $reg refused user $REGISTRY_USER ($(echo "$out" | tail -n 1)). Check the registry credentials in the stack config; nothing was changed on this host"
    fi
}

host_arch() {
    a=${SERVICE_DEPLOY_HOST_ARCH:-$(uname -m)}
    case "$a" in aarch64|arm64) echo arm64 ;; x86_64|amd64) echo amd64 ;; *) echo "$a" ;; esac
}

image_platforms() {
    # The runtime reads its own registry settings and login; skopeo is the fallback.
    if ! raw=$($RT manifest inspect "$IMAGE" 2>&1); then
        if command -v skopeo >/dev/null 2>&1 && raw2=$(skopeo inspect --raw "docker://$IMAGE" 2>&1); then raw=$raw2; else echo "ERROR $raw"; return 0; fi
    fi
    # Architectures listed by an index; a single-platform image lists none in its raw manifest.
    list=$(echo "$raw" | tr ',{}' '\n\n\n' | sed -n 's/.*"architecture"[ ]*:[ ]*"\([^"]*\)".*/\1/p' | sort -u | tr '\n' ' ')
    if [ -z "$list" ] && command -v skopeo >/dev/null 2>&1; then
        list=$(skopeo inspect "docker://$IMAGE" 2>/dev/null | sed -n 's/.*"Architecture"[ ]*:[ ]*"\([^"]*\)".*/\1/p' | head -n 1)
    fi
    echo "$list"
}

is_auth_error() { echo "$1" | grep -Eiq 'unauthorized|denied|authentication required|401|403'; }

check_arch() {
    have=$(host_arch)
    [ "$have" = "$ARCH" ] || die "this host is $have but the service is declared $ARCH: set services[].architecture of $SERVICE to $have in the stack config, or deploy it to a $ARCH host. Nothing was changed"
    platforms=$(image_platforms)
    case "$platforms" in
        ERROR*)
            if is_auth_error "$platforms"; then die "registry authentication failed: $(registry_of "$IMAGE") refused to show $IMAGE ($(echo "$platforms" | tail -n 1)). Check the registry credentials; nothing was changed"; fi
            die "cannot read the manifest of $IMAGE: $(echo "$platforms" | tail -n 1). Nothing was changed" ;;
    esac
    for p in $platforms; do [ "$p" = "$have" ] && { log "image holds linux/$have (platforms: $platforms)"; return 0; }; done
    die "image $IMAGE has no linux/$have manifest (it holds: ${platforms:-no platform list}); this host is $have. Rebuild with --platform linux/amd64,linux/arm64 (a runtime pulling it says: no matching manifest for linux/$have). Nothing was changed"
}

pull() {
    log "pulling $IMAGE"
    if ! out=$($RT pull "$IMAGE" 2>&1); then
        if is_auth_error "$out"; then die "registry authentication failed: $(registry_of "$IMAGE") denied the pull of $IMAGE ($(echo "$out" | tail -n 1)). Check the registry credentials; nothing was changed"; fi
        die "pull of $IMAGE failed: $(echo "$out" | tail -n 1). Nothing was changed"
    fi
}

# The app's env declaration (image label dev.service-deploy.env, docs/env-contract.md) against
# the env file's keys: refuse before anything changes, naming every missing variable.
check_env() {
    label=$($RT image inspect -f '{{index .Config.Labels "dev.service-deploy.env"}}' "$IMAGE" 2>/dev/null || true)
    case "$label" in ""|"<no value>") log "image $IMAGE declares no env (no label dev.service-deploy.env); env not checked"; return 0 ;; esac
    printf '%s' "$label" | grep -Eq '^[{]("[A-Za-z_][A-Za-z0-9_]*":"(required|secret|optional|secret,optional)",?)*[}]$' ||
        die "image $IMAGE has a label dev.service-deploy.env that is not the app's env declaration ({\"NAME\":\"required|secret|optional\",...}, docs/env-contract.md): $label. Rebuild the image with the label the build stamps. Nothing was changed"
    keys=""
    [ -n "$ENV_FILE" ] && keys=$(sed -n 's/^[[:space:]]*\(export[[:space:]][[:space:]]*\)\{0,1\}\([A-Za-z_][A-Za-z0-9_]*\)=.*/\2/p' "$ENV_FILE")
    missing=$(printf '%s\n' "$label" | awk -v keys=" $(echo $keys) " '{
        s = $0
        while (match(s, /"[A-Za-z_][A-Za-z0-9_]*":"[a-z,]*"/)) {
            split(substr(s, RSTART + 1, RLENGTH - 2), kv, "\":\"")
            s = substr(s, RSTART + RLENGTH)
            if (kv[2] !~ /optional/ && index(keys, " " kv[1] " ") == 0) printf "%s ", kv[1]
        }
    }')
    [ -z "$missing" ] || die "image $IMAGE reads ${missing% } (its label dev.service-deploy.env), which the env file ${ENV_FILE:-(none)} does not set; add them to the service's env in the stack file and deploy again. Nothing was changed"
    log "env file sets every variable $IMAGE declares"
}

# ---------------------------------------------------------------------------------------------
# Containers and health
# ---------------------------------------------------------------------------------------------
is_running() { [ "$($RT inspect -f '{{.State.Running}}' "$1" 2>/dev/null || echo false)" = true ]; }

# http_ok URL SECONDS [INSECURE] [HOST]: one GET answered 2xx within SECONDS (a decimal), tried
# once. Never GNU wget's defaults: 20 tries with backoff made one failed check last ~4 minutes.
if command -v curl >/dev/null 2>&1; then HTTP=curl
elif wget --version 2>/dev/null | grep -q GNU; then HTTP=gnu-wget
else HTTP=wget; fi
http_ok() {
    h_url=$1 h_t=$2 h_k=${3:-} h_host=${4:-}
    case "$HTTP" in
        curl)
            set -- -fsS -o /dev/null --max-time "$h_t" --connect-timeout "$h_t"
            [ -n "$h_k" ] && set -- "$@" --insecure
            [ -n "$h_host" ] && set -- "$@" -H "Host: $h_host"
            curl "$@" "$h_url" 2>/dev/null ;;
        *)
            h_t=${h_t%%.*}; [ "${h_t:-0}" -ge 1 ] 2>/dev/null || h_t=1
            set -- -q -O /dev/null -T "$h_t"
            [ "$HTTP" = gnu-wget ] && set -- "$@" --tries=1
            [ -n "$h_k" ] && set -- "$@" --no-check-certificate
            [ -n "$h_host" ] && set -- "$@" --header "Host: $h_host"
            wget "$@" "$h_url" 2>/dev/null ;;
    esac
}
# probe ADDR PATH [SECONDS]: the container itself, on its own address (2 s unless told).
probe() { http_ok "http://$1$2" "${3:-2}"; }
# front_door PATH [SECONDS]: through nginx, as a client would (TLS without verification: the
# certificate names the public host, not 127.0.0.1).
front_door() {
    fd_k=""; [ -n "$TLS_CERT" ] && fd_k=1
    fd_h=$SERVER_NAME; [ "$fd_h" = _ ] && fd_h=""
    http_ok "$(listen_url)$1" "${2:-5}" "$fd_k" "$fd_h"
}
# Seconds with milliseconds, from milliseconds: 1234 -> 1.234.
secs() { printf '%d.%03d' "$(($1 / 1000))" "$(($1 % 1000))"; }

# The container of this color is the kept previous version (the rollback target, maybe baking):
# it is set aside as <name>-kept, not removed, until the new version is ready; a failed start puts
# it back as it was (fail_new).
KEPT="" KEPT_RUNNING=false
set_aside() {
    name=$1
    $RT inspect "$name" >/dev/null 2>&1 || return 0
    is_running "$name" && KEPT_RUNNING=true
    $RT rm -f "$name-kept" >/dev/null 2>&1 || true
    $RT stop -t 10 "$name" >/dev/null 2>&1 || true
    if $RT rename "$name" "$name-kept" >/dev/null 2>&1; then
        KEPT=$name-kept
        log "keeping the previous $name aside as $KEPT until the new version is ready"
    else
        log "could not set $name aside ($RT rename); removing it"
        $RT rm -f "$name" >/dev/null 2>&1 || true
    fi
}
# After a failed start: the kept container back under its name, running if it ran.
restore_kept() {
    [ -n "$KEPT" ] || return 0
    orig=${KEPT%-kept}
    $RT rename "$KEPT" "$orig" >/dev/null 2>&1 || { log "could not rename $KEPT back to $orig"; return 0; }
    if [ "$KEPT_RUNNING" = true ]; then $RT start "$orig" >/dev/null 2>&1 || log "could not start $orig again"; fi
    log "the previous $orig is back$([ "$KEPT_RUNNING" = true ] && echo ", running") for rollback"
    KEPT=""
}

start_color() {
    color=$1 port=$(port_of "$1") name=$(container "$1")
    [ -n "$SUBNET" ] || [ -n "$port" ] || die "--$color-port (or --subnet) is required"
    set_aside "$name"
    ensure_network
    log "starting $name from $IMAGE on $(addr_of "$color")"
    set -- run -d --name "$name" --label "service-deploy.service=$SERVICE" --label "service-deploy.image=$IMAGE" --restart "$RESTART"
    if [ -n "$SUBNET" ]; then set -- "$@" --network "$NET" --ip "$(ip_of "$color")" --mac-address "$(mac_of "$color")"; else set -- "$@" -p "127.0.0.1:$port:$PORT"; fi
    [ -n "$MEMORY" ] && set -- "$@" --memory "$MEMORY"
    [ -n "$CPUS" ] && set -- "$@" --cpus "$CPUS"
    [ -n "$ENV_FILE" ] && set -- "$@" --env-file "$ENV_FILE"
    out=$($RT "$@" "$IMAGE" 2>&1) || die "could not start $name: $(echo "$out" | tail -n 1)"
}

fail_new() {
    name=$1; shift
    log "ERROR: $*"
    log "last 50 lines of $name:"
    $RT logs --tail 50 "$name" 2>&1 | sed 's/^/    | /' >&2 || true
    $RT rm -f "$name" >/dev/null 2>&1 || true
    restore_kept
    prune_failed
    audit "deploy failed image=$IMAGE reason=$*"
    die "the new version did not become ready; it was removed and the previous version keeps serving. Fix the app (see the log above) and deploy again"
}

# Polls readiness every $2 tenths of a second (10: each second, as a deploy does; a rollback,
# whose container already ran this version, polls every 0.2 s) until a wall-clock deadline: the
# probes, the runtime calls and the sleeps all count, and no probe outlasts the deadline.
wait_ready() {
    color=$1 addr=$(addr_of "$1") name=$(container "$1") tenths=${2:-10}
    log "waiting for $READINESS on $addr (up to ${HEALTH_TIMEOUT}s)"
    begun=$(now_ms)
    deadline=$((begun + HEALTH_TIMEOUT * 1000))
    while left=$((deadline - $(now_ms))) && [ "$left" -gt 0 ]; do
        t=2000; [ "$left" -lt "$t" ] && t=$left
        if probe "$addr" "$READINESS" "$(secs "$t")"; then HEALTHY_AT=$(now_ms); log "$name is ready after $(secs $((HEALTHY_AT - begun)))s"; return 0; fi
        restarts=$($RT inspect -f '{{.RestartCount}}' "$name" 2>/dev/null || echo 0)
        if [ "${restarts:-0}" -ge 3 ] 2>/dev/null; then fail_new "$name" "$name is crash-looping (restarted $restarts times)"; fi
        if ! is_running "$name" && [ "$RESTART" = "no" ]; then fail_new "$name" "$name exited"; fi
        left=$((deadline - $(now_ms)))
        [ "$left" -gt 0 ] || break
        t=$((tenths * 100)); [ "$left" -lt "$t" ] && t=$left
        sleep "$(secs "$t")"
    done
    fail_new "$name" "$name was not ready on $READINESS within ${HEALTH_TIMEOUT}s"
}

# ---------------------------------------------------------------------------------------------
# nginx
# ---------------------------------------------------------------------------------------------
write_site() {
    tmp="$SITE_FILE.tmp.$$"
    {
        echo "# service-deploy: site of $SERVICE (written by service-deploy.sh)"
        echo "server {"
        if [ -n "$TLS_CERT" ]; then
            echo "    listen $LISTEN ssl;"
            echo "    ssl_certificate $TLS_CERT;"
            echo "    ssl_certificate_key $TLS_KEY;"
            echo "    ssl_protocols TLSv1.2 TLSv1.3;"
        else
            echo "    listen $LISTEN;"
        fi
        echo "    server_name $SERVER_NAME;"
        echo "    location / {"
        echo "        proxy_pass http://${SERVICE}_backend;"
        echo "        proxy_http_version 1.1;"
        echo "        proxy_set_header Connection \"\";"
        echo "        proxy_set_header Host \$host;"
        echo "        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
        echo "        proxy_set_header X-Forwarded-Proto \$scheme;"
        echo "        proxy_next_upstream error timeout http_502 http_503;"
        # A color's address on the host's own bridge connects in well under a millisecond. A dead
        # one keeps its fixed MAC in the neighbour cache, so the SYN goes nowhere and nginx would
        # wait its default 60 s before trying the backup; 5 s still covers two SYN retransmits of
        # a live but saturated container.
        echo "        proxy_connect_timeout 5s;"
        echo "    }"
        echo "}"
    } > "$tmp"
    if [ -f "$SITE_FILE" ] && cmp -s "$tmp" "$SITE_FILE"; then rm -f "$tmp"; SITE_CHANGED=false; else mv "$tmp" "$SITE_FILE"; SITE_CHANGED=true; fi
}

nginx_reload() {
    out=$(nginx_cmd -t 2>&1) || die "nginx -t rejects the configuration ($(echo "$out" | tail -n 1)); fix $UPSTREAM_FILE or $SITE_FILE, then deploy again"
    nginx_cmd -s reload || die "nginx reload failed; run nginx -t and check $UPSTREAM_FILE"
}

switch_to() {
    color=$1 addr=$(addr_of "$1")
    previous=""; [ -f "$UPSTREAM_FILE" ] && previous=$(cat "$UPSTREAM_FILE")
    tmp="$UPSTREAM_FILE.tmp.$$"
    # The other color is a backup: requests still queued in nginx's old workers when the old
    # container stops fail over to the new one instead of answering 502.
    printf '# service-deploy: service=%s color=%s digest=%s image=%s\nupstream %s_backend {\n    server %s max_fails=0;\n    server %s backup max_fails=0;\n    keepalive 16;\n}\n' \
        "$SERVICE" "$color" "${IMAGE##*@}" "$IMAGE" "$SERVICE" "$addr" "$(addr_of "$(other "$color")")" > "$tmp"
    mv "$tmp" "$UPSTREAM_FILE"
    write_site
    if ! out=$(nginx_cmd -t 2>&1); then
        if [ -n "$previous" ]; then printf '%s\n' "$previous" > "$UPSTREAM_FILE"; else rm -f "$UPSTREAM_FILE"; fi
        die "nginx -t rejected the new configuration ($(echo "$out" | tail -n 1)); the previous upstream was restored"
    fi
    nginx_cmd -s reload || die "nginx reload failed; run nginx -t and check $UPSTREAM_FILE"
    SWITCHED_AT=$(now_ms)
    if [ -n "$KEPT" ]; then $RT rm -f "$KEPT" >/dev/null 2>&1 || true; KEPT=""; fi
    log "nginx now sends $SERVICE to $color ($addr)"
}

# ---------------------------------------------------------------------------------------------
# Subcommands
# ---------------------------------------------------------------------------------------------
deploy() {
    case "$IMAGE" in *@sha256:*) ;; *) die "--image must be pinned by digest (<repo>@sha256:<digest>), got ${IMAGE:-nothing}" ;; esac
    [ -z "$ENV_FILE" ] || [ -r "$ENV_FILE" ] || die "env file $ENV_FILE is missing; copy it before deploying"
    lock
    recover
    retire_if_due
    active=$(state_get color)
    if [ -n "$active" ] && [ "$(state_get image)" = "$IMAGE" ] && is_running "$(container "$active")" && probe "$(addr_of "$active")" "$READINESS"; then
        write_site
        if [ "$SITE_CHANGED" = true ]; then nginx_reload; log "the site of $SERVICE changed (listen, name or TLS): nginx reloaded"; fi
        log "$IMAGE is already active on $active and healthy; nothing to do"
        echo "ACTIVE service=$SERVICE color=$active digest=${IMAGE##*@} changed=false"
        return 0
    fi
    registry_login
    check_arch
    pull
    check_env
    new=blue; [ "$active" = blue ] && new=green
    start_color "$new"
    wait_ready "$new"
    switch_to "$new"
    retire_at=""
    [ -n "$active" ] && [ "$BAKE" -gt 0 ] && retire_at=$(( $(date +%s) + BAKE ))
    state_write "$new" "${IMAGE##*@}" "$IMAGE" "${active:-}" "$(state_get digest)" "$(state_get image)" "$retire_at"
    audit "deploy ok color=$new image=$IMAGE"
    echo "TIMING healthy_at=$HEALTHY_AT switched_at=$SWITCHED_AT"
    remember_image
    if [ -n "$retire_at" ]; then
        log "$(container "$active") keeps running through the ${BAKE}s bake (a rollback is a switch); the watchdog or the next deploy stops it after $(date -u -d "@$retire_at" +%H:%M:%SZ 2>/dev/null || echo "$retire_at")"
    elif [ -n "$active" ]; then
        log "draining $(container "$active") for ${DRAIN}s, then stopping it (kept for rollback)"
        sleep "$DRAIN"
        $RT stop -t 10 "$(container "$active")" >/dev/null 2>&1 || true
    fi
    prune_images
    echo "ACTIVE service=$SERVICE color=$new digest=${IMAGE##*@} changed=true"
}

rollback() {
    started=$(now_ms)
    lock
    recover
    active=$(state_get color)
    back=$(state_get previous_color)
    IMAGE=$(state_get previous_image)
    [ -n "$back" ] && [ -n "$IMAGE" ] || die "no previous version is recorded for $SERVICE; deploy the digest you want instead"
    name=$(container "$back")
    # Baking (retire_at set) and ready on its address: no runtime call on this path (each costs
    # ~0.5 s on a busy host), and that one probe is its readiness, so a rollback inside the bake
    # is the nginx switch and little else. Past the bake the probe is skipped: a stopped color's
    # address can take the probe's whole timeout to refuse.
    if [ -n "$(state_get retire_at)" ] && probe "$(addr_of "$back")" "$READINESS"; then
        log "rolling back to $name ($IMAGE): still running from its bake, switching only"
        STARTED_CONTAINER_AT=$(now_ms) HEALTHY_AT=$STARTED_CONTAINER_AT
    else
        $RT inspect "$name" >/dev/null 2>&1 || die "the previous container $name is gone; deploy $IMAGE instead"
        log "rolling back to $name ($IMAGE) without pulling: starting it"
        $RT start "$name" >/dev/null || die "could not start $name"
        STARTED_CONTAINER_AT=$(now_ms)
        wait_ready "$back" 2
    fi
    switch_to "$back"
    state_write "$back" "${IMAGE##*@}" "$IMAGE" "$active" "$(state_get digest)" "$(state_get image)"
    audit "rollback ok color=$back image=$IMAGE"
    echo "TIMING started_at=$started container_started_at=$STARTED_CONTAINER_AT healthy_at=$HEALTHY_AT switched_at=$SWITCHED_AT"
    # The version rolled back from does not bake: it is the one that misbehaved.
    log "draining $(container "$active") for ${DRAIN}s, then stopping it (kept)"
    sleep "$DRAIN"
    $RT stop -t 10 "$(container "$active")" >/dev/null 2>&1 || true
    echo "ACTIVE service=$SERVICE color=$back digest=${IMAGE##*@} changed=true"
}

# What serves, read and probed, never changed: the color nginx's upstream names (the state's when
# there is no upstream file), its own readiness, and the front door as a client sees it.
status() {
    active=$(upstream_get color)
    digest=$(upstream_get digest)
    [ -n "$active" ] || { active=$(state_get color); digest=$(state_get digest); }
    [ -n "$active" ] || { echo "STATUS service=$SERVICE active=none"; exit 1; }
    health=unhealthy
    probe "$(addr_of "$active")" "$READINESS" && health=healthy
    door=unhealthy
    front_door "$HEALTH" && door=healthy
    previous=none
    prev=$(state_get previous_color)
    [ "$prev" = "$active" ] && prev=$(other "$active")
    if [ -n "$prev" ]; then previous="$prev:stopped"; is_running "$(container "$prev")" && previous="$prev:running"; fi
    [ "$active" = "$(state_get color)" ] || log "the state says $(state_get color) but nginx's upstream names $active (an interrupted deploy; the next deploy or rollback recovers)"
    echo "STATUS service=$SERVICE color=$active digest=$digest health=$health front_door=$door since=$(state_get time) previous=$previous retire_at=$(state_get retire_at)"
    [ "$health" = healthy ] && [ "$door" = healthy ]
}

remove() {
    lock
    for c in blue green blue-kept green-kept; do $RT rm -f "$(container "$c")" >/dev/null 2>&1 || true; done
    rm -f "$UPSTREAM_FILE" "$SITE_FILE"
    nginx_cmd -t >/dev/null 2>&1 && nginx_cmd -s reload || log "nginx was not reloaded; check its configuration"
    if [ -n "$SUBNET" ] && $RT network inspect "$NET" >/dev/null 2>&1; then
        $RT network rm "$NET" >/dev/null 2>&1 && log "removed the network $NET" || log "could not remove the network $NET"
    fi
    watchdog_uninstall
    if [ -f "$STATE_DIR/images" ]; then
        while IFS= read -r img; do $RT rmi "$img" >/dev/null 2>&1 || true; done < "$STATE_DIR/images"
    fi
    case "$SECRETS_DIR" in
        "") ;;
        */secrets) rm -rf "$SECRETS_DIR" && log "removed $SECRETS_DIR (env file, webhook)" ;;
        *) log "not removing $SECRETS_DIR: a service's secrets directory ends in /secrets" ;;
    esac
    rm -f "$STATE_FILE" "$STATE_DIR/images" "$STATE_DIR/watchdog-failures" "$STATE_DIR/watchdog.sh" "$STATE_DIR/watchdog.lock"
    audit "remove ok"
    echo "REMOVED service=$SERVICE"
}

# ---- notify: the watchdog's messages to the stack's destinations ------------------------------
# $WEBHOOK_FILE (0600) holds one destination a line, tab-separated: type, events, then the URL
# (slack, webhook) or the integration key and the Events API URL (pagerduty); lines
# "#environment <name>" and "#runbook <url>" give the context. A file holding only a URL is one
# Slack destination hearing everything. Each post has a 5 s timeout (wget --tries=1 inside
# `timeout 8`) and one retry after 2 s: at most ~18 s per destination, far below the check
# interval. A lock makes an overlapping check drop its message instead of piling posts up.
notify_env() { e=""; [ -r "$WEBHOOK_FILE" ] && e=$(sed -n 's/^#environment //p' "$WEBHOOK_FILE" | head -n 1); echo "${e:-environment unknown}"; }
version_of() { case "$1" in "") echo none ;; *@*) v=${1%@*}; case "${v##*/}" in *:*) echo "${v##*:}" ;; *) d=${1##*@}; echo "${d%"${d#sha256:????????????}"}" ;; esac ;; *) echo "${1##*:}" ;; esac; }
json_str() { printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g'; }
notify_post() {
    tries=""; [ "$HTTP" = curl ] || { wget --help 2>&1 | grep -q -- '--tries' && tries="--tries=1"; }
    for attempt in 1 2; do
        if [ "$HTTP" = curl ]; then
            timeout 8 curl -fsS -o /dev/null --max-time 5 -H "Content-Type: application/json" --data "$2" "$1" 2>/dev/null && return 0
        else
            timeout 8 wget -q -T 5 $tries -O /dev/null --header "Content-Type: application/json" --post-data "$2" "$1" 2>/dev/null && return 0
        fi
        [ "$attempt" = 2 ] || sleep 2
    done
    return 1
}
notify() {
    event=$1 severity=$2 text=$3
    log "$text"
    { [ -n "$WEBHOOK_FILE" ] && [ -r "$WEBHOOK_FILE" ]; } || return 0
    nlock="$STATE_DIR/notify.lock"
    if ! mkdir "$nlock" 2>/dev/null; then
        if [ -n "$(find "$nlock" -maxdepth 0 -mmin +5 2>/dev/null)" ]; then rm -rf "$nlock"; mkdir "$nlock" 2>/dev/null || return 0
        else log "a previous notification is still being sent; this one is dropped"; return 0; fi
    fi
    runbook=$(sed -n 's/^#runbook //p' "$WEBHOOK_FILE" | head -n 1)
    [ -n "$runbook" ] || runbook="docs/notifications.md"
    full="$text. runbook: $runbook#vm-watchdog"
    t=$(json_str "$full") src=$(json_str "$(hostname)") key="service-deploy/$SERVICE/$(hostname)/watchdog"
    tab=$(printf '\t')
    if ! grep -q "$tab" "$WEBHOOK_FILE"; then set -- "slack${tab}alerts,rollbacks,recoveries${tab}$(grep -v '^#' "$WEBHOOK_FILE" | head -n 1)"; else set --; fi
    { if [ $# -gt 0 ]; then printf '%s\n' "$1"; else grep -v '^#' "$WEBHOOK_FILE"; fi; } | while IFS="$tab" read -r kind events target url; do
        case ",$events," in *",$event,"*) ;; *) continue ;; esac
        case "$kind" in
            slack) body="{\"text\":\"$t\"}"; url=$target ;;
            pagerduty)
                if [ "$event" = recoveries ]; then body="{\"routing_key\":\"$target\",\"event_action\":\"resolve\",\"dedup_key\":\"$key\"}"
                else body="{\"routing_key\":\"$target\",\"event_action\":\"trigger\",\"dedup_key\":\"$key\",\"payload\":{\"summary\":\"$(json_str "$(printf '%.1000s' "$full")")\",\"severity\":\"$severity\",\"source\":\"$src\",\"component\":\"$SERVICE\"}}"; fi ;;
            webhook) body="{\"version\":1,\"event\":\"$event\",\"severity\":\"$severity\",\"service\":\"$SERVICE\",\"environment\":\"$(json_str "$(notify_env)")\",\"target\":\"vm\",\"summary\":\"$t\",\"details\":[],\"runbook\":\"$(json_str "$runbook#vm-watchdog")\",\"dedupKey\":\"$key\"}"; url=$target ;;
            *) log "unknown destination type $kind in $WEBHOOK_FILE; skipped"; continue ;;
        esac
        if notify_post "$url" "$body"; then log "notified $kind ($event)"; else log "could not notify $kind ($event) after 2 attempts; the watchdog carries on"; fi
    done
    rmdir "$nlock" 2>/dev/null || true
}

# One check: the active container on its own address (nginx's backup server would hide a dead
# one), then the front door. Three failures in a row restart the container (when it is the one
# failing) and notify. Checks never overlap: one still waiting on a timeout makes the next skip.
watchdog_check() {
    command -v flock >/dev/null 2>&1 || die "flock (util-linux) is missing: the watchdog needs it so that two checks never overlap"
    exec 9> "$STATE_DIR/watchdog.lock"
    flock -n 9 || { echo "WATCHDOG service=$SERVICE skipped: another check is running"; return 0; }
    counter="$STATE_DIR/watchdog-failures"
    # A bake that ended: retire the previous color, unless a deploy holds the lock (it retires it).
    if [ -n "$(state_get retire_at)" ] && mkdir "$LOCK_DIR" 2>/dev/null; then
        lock_owner watchdog
        trap 'rm -rf "$LOCK_DIR"' EXIT
        retire_if_due
        rm -rf "$LOCK_DIR"; trap - EXIT
    fi
    active=$(state_get color)
    [ -n "$active" ] || exit 0
    why="" container_failed=false
    if ! probe "$(addr_of "$active")" "$HEALTH" 5; then
        why="$(container "$active") did not answer $HEALTH on $(addr_of "$active") within 5s" container_failed=true
    elif ! front_door "$HEALTH" 5; then
        why="the front door $(listen_url)$HEALTH did not answer 2xx within 5s"
    fi
    if [ -z "$why" ]; then
        echo 0 > "$counter"
        if [ -f "$STATE_DIR/watchdog-restarted" ]; then
            rm -f "$STATE_DIR/watchdog-restarted"
            notify recoveries info "RECOVERED $SERVICE ($(notify_env), vm) on $(hostname): $HEALTH answers again at $(date -u +%H:%M) UTC after the watchdog's restart of $(container "$active")"
        fi
        echo "WATCHDOG service=$SERVICE healthy"; return 0
    fi
    n=$(( $(cat "$counter" 2>/dev/null || echo 0) + 1 ))
    echo "$n" > "$counter"
    log "health check $n/3 failed: $why"
    [ "$n" -ge 3 ] || { echo "WATCHDOG service=$SERVICE failures=$n"; return 0; }
    echo 0 > "$counter"
    if [ "$container_failed" = false ]; then
        log "3 consecutive failures at the front door while $(container "$active") answers: not restarting it; check nginx"
        audit "watchdog front door failing color=$active"
        notify alerts critical "FRONT DOOR FAILING $SERVICE ($(notify_env), vm) on $(hostname): 3 failed $HEALTH checks at $(date -u +%H:%M) UTC through nginx while $(container "$active") answers on its own address, so it was not restarted: check nginx"
        echo "WATCHDOG service=$SERVICE front_door_failing"
        return 0
    fi
    log "3 consecutive failures: restarting $(container "$active")"
    at=$(date -u +%H:%M)
    prev="previous version $(version_of "$(state_get previous_image)"), kept for rollback: npm run rollback"
    [ -n "$(state_get previous_image)" ] || prev="no previous version on this host"
    # 9>&-: the runtime's container monitor (conmon) outlives this check and must not inherit
    # the watchdog's lock, or every later check would be skipped.
    if $RT restart "$(container "$active")" 9>&- >/dev/null 2>&1; then
        audit "watchdog restart color=$active"
        : > "$STATE_DIR/watchdog-restarted"
        notify rollbacks critical "RESTARTED $(container "$active") ($(notify_env), vm) on $(hostname) after 3 failed $HEALTH checks at $at UTC; running $(version_of "$(state_get image)"), $prev"
    else
        log "restart of $(container "$active") failed"
        audit "watchdog restart failed color=$active"
        notify alerts critical "DOWN $SERVICE ($(notify_env), vm) on $(hostname): 3 failed $HEALTH checks at $at UTC and the restart of $(container "$active") failed; $prev"
    fi
    echo "WATCHDOG service=$SERVICE restarted=$active"
}

# systemd (a timer) when the host runs it, else cron; neither: a clear error.
scheduler() {
    if [ -d "${SERVICE_DEPLOY_SYSTEMD_RUN:-/run/systemd/system}" ] && command -v "$SYSTEMCTL" >/dev/null 2>&1; then echo systemd
    elif command -v "${SERVICE_DEPLOY_CRONTAB:-crontab}" >/dev/null 2>&1; then echo cron
    else echo none; fi
}
UNIT_DIR=${SERVICE_DEPLOY_UNIT_DIR:-/etc/systemd/system}
SYSTEMCTL=${SERVICE_DEPLOY_SYSTEMCTL:-systemctl}
unit_name() { echo "service-deploy-$SERVICE-watchdog"; }

# The installed check is a file holding this very call's flags (one source of truth: the flags
# commands.ts builds for watchdog-install are the ones watchdog-check gets), run by a systemd
# timer or cron every --interval seconds (cron: every whole minute).
watchdog_install() {
    self=$(readlink -f "$0")
    wrapper="$STATE_DIR/watchdog.sh"
    case "$wrapper" in *[!A-Za-z0-9/_.-]*) die "--state-dir must be a plain path (letters, digits, / _ . -) for the watchdog's schedule, not $STATE_ROOT" ;; esac
    [ -z "$WEBHOOK_FILE" ] || [ ! -e "$WEBHOOK_FILE" ] || chmod 0600 "$WEBHOOK_FILE"
    how=$(scheduler)
    [ "$how" != none ] || die "neither systemd (no ${SERVICE_DEPLOY_SYSTEMD_RUN:-/run/systemd/system}) nor cron (no ${SERVICE_DEPLOY_CRONTAB:-crontab} command) is on this host, so the watchdog cannot be scheduled: install cron (Debian/Ubuntu: apt-get install cron; Oracle Linux: dnf install cronie) and deploy again"
    printf '#!/bin/sh\n# The watchdog check of %s, written by service-deploy.sh watchdog-install with the flags it was given.\nexec /bin/sh %s watchdog-check%s\n' "$SERVICE" "$(sq "$self")" "$ARGS_Q" > "$wrapper.tmp.$$"
    chmod 0700 "$wrapper.tmp.$$" && mv "$wrapper.tmp.$$" "$wrapper"
    unit=$(unit_name)
    if [ "$how" = systemd ]; then
        printf '[Unit]\nDescription=service-deploy watchdog of %s\n\n[Service]\nType=oneshot\nExecStart=/bin/sh %s\n' "$SERVICE" "$wrapper" > "$UNIT_DIR/$unit.service"
        printf '[Unit]\nDescription=service-deploy watchdog of %s\n\n[Timer]\nOnBootSec=%ss\nOnUnitActiveSec=%ss\n\n[Install]\nWantedBy=timers.target\n' "$SERVICE" "$INTERVAL" "$INTERVAL" > "$UNIT_DIR/$unit.timer"
        $SYSTEMCTL daemon-reload && $SYSTEMCTL enable --now "$unit.timer" >/dev/null
        echo "WATCHDOG_INSTALLED service=$SERVICE via=systemd"
    else
        minutes=$(( (INTERVAL + 59) / 60 )) every="*"
        [ "$minutes" -gt 1 ] && every="*/$minutes"
        line="$every * * * * /bin/sh $wrapper >/dev/null 2>&1 # service-deploy-$SERVICE"
        { crontab -l 2>/dev/null | grep -v "# service-deploy-$SERVICE\$" || true; echo "$line"; } | crontab -
        echo "WATCHDOG_INSTALLED service=$SERVICE via=cron"
    fi
}

watchdog_uninstall() {
    unit=$(unit_name)
    if [ -f "$UNIT_DIR/$unit.timer" ]; then
        $SYSTEMCTL disable --now "$unit.timer" >/dev/null 2>&1 || true
        rm -f "$UNIT_DIR/$unit.timer" "$UNIT_DIR/$unit.service"
        $SYSTEMCTL daemon-reload >/dev/null 2>&1 || true
        log "removed the watchdog timer $unit"
    fi
    if command -v crontab >/dev/null 2>&1 && crontab -l 2>/dev/null | grep -q "# service-deploy-$SERVICE\$"; then
        { crontab -l 2>/dev/null | grep -v "# service-deploy-$SERVICE\$" || true; } | crontab -
        log "removed the watchdog's cron entry"
    fi
}

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
