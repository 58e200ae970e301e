# Sourced by service-deploy.sh (components/vm/deploy.sh), never run on its own: the lock (one deploy per service at a time),
# the state file, the bake's retirement, image pruning and the recovery of an interrupted switch.
# shellcheck shell=sh

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
            die "$(cite SD-022 "another deploy of $SERVICE holds the lock: $owner. Wait for it to finish, or, if it is gone, remove $LOCK_DIR")"
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

# The image of a failed deploy goes, unless a deployed version or a container uses it.
prune_failed() {
    grep -qxF "$IMAGE" "$STATE_DIR/images" 2>/dev/null && return 0
    for c in blue green blue-kept green-kept; do
        [ "$($RT inspect -f '{{index .Config.Labels "service-deploy.image"}}' "$(container "$c")" 2>/dev/null || true)" = "$IMAGE" ] && return 0
    done
    if $RT rmi "$IMAGE" >/dev/null 2>&1; then log "removed the image of the failed deploy, $IMAGE"; fi
}

# An interrupted switch leaves the upstream file and the state apart, and nginx may or may not
# have loaded the file (the cut can come between the write and the reload). The truth is made,
# not guessed: when the color the file names answers, nginx is reloaded so it serves exactly that;
# when it does not and the recorded color does, the file goes back to the recorded color. Nothing
# is stopped here; the color no longer served retires after the bake (or the drain), through
# retire_if_due, which never stops what serves. Caller holds the lock.
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
