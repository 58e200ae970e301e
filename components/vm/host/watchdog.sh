# Sourced by service-deploy.sh (components/vm/deploy.sh), never run on its own: the watchdog's notifications, its check, its schedule.
# shellcheck shell=sh

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
