# Sourced by service-deploy.sh (components/vm/deploy.sh), never run on its own: the subcommands deploy, rollback, status and remove.
# shellcheck shell=sh

# ---------------------------------------------------------------------------------------------
# Subcommands
# ---------------------------------------------------------------------------------------------
deploy() {
    case "$IMAGE" in *@sha256:*) ;; *) die "$(cite SD-004 "--image must be pinned by digest (<repo>@sha256:<digest>), got ${IMAGE:-nothing}: deploy the digest staging ran (npm run promote writes it)")" ;; esac
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
