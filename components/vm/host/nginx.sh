# Sourced by service-deploy.sh (components/vm/deploy.sh), never run on its own: the site and upstream files nginx serves, and the switch.
# shellcheck shell=sh

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
