# Sourced by service-deploy.sh (components/vm/deploy.sh), never run on its own: the blue and green containers, their probes, their start
# and the wait for readiness.
# shellcheck shell=sh

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
    die "$(cite SD-018 "the new version did not become ready ($*); it was removed and the previous version keeps serving. Fix the app (see the log above) and deploy again")"
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
