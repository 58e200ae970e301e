# Sourced by service-deploy.sh (components/vm/deploy.sh), never run on its own: the registry login, the host's and the image's CPU,
# the pull and the app's env declaration, all checked before anything changes.
# shellcheck shell=sh

# ---------------------------------------------------------------------------------------------
# Registry, architecture, image
# ---------------------------------------------------------------------------------------------
registry_of() { echo "${1%%/*}"; }

registry_login() {
    [ -n "$REGISTRY_USER" ] || return 0
    reg=${REGISTRY:-$(registry_of "$IMAGE")}
    log "logging in to $reg as $REGISTRY_USER (password from stdin)"
    if ! out=$($RT login --username "$REGISTRY_USER" --password-stdin "$reg" 2>&1); then
        die "$(cite SD-017 "registry authentication failed: $reg refused user $REGISTRY_USER ($(echo "$out" | tail -n 1)). Check the registry credentials in the stack config (vm.registry.user, the secret vm.registry.passwordSecret names); nothing was changed on this host")"
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
    [ "$have" = "$ARCH" ] || die "$(cite SD-003 "this host is $have but the service is declared $ARCH: set services[].architecture of $SERVICE to $have in the stack config, or deploy it to a $ARCH host. Nothing was changed")"
    platforms=$(image_platforms)
    case "$platforms" in
        ERROR*)
            if is_auth_error "$platforms"; then die "$(cite SD-017 "registry authentication failed: $(registry_of "$IMAGE") refused to show $IMAGE ($(echo "$platforms" | tail -n 1)). Check the registry credentials; nothing was changed")"; fi
            die "cannot read the manifest of $IMAGE: $(echo "$platforms" | tail -n 1). Nothing was changed" ;;
    esac
    for p in $platforms; do [ "$p" = "$have" ] && { log "image holds linux/$have (platforms: $platforms)"; return 0; }; done
    die "$(cite SD-002 "image $IMAGE has no linux/$have manifest (it holds: ${platforms:-no platform list}); this host is $have. Rebuild with --platform linux/amd64,linux/arm64 (a runtime pulling it says: no matching manifest for linux/$have). Nothing was changed")"
}

pull() {
    log "pulling $IMAGE"
    if ! out=$($RT pull "$IMAGE" 2>&1); then
        if is_auth_error "$out"; then die "$(cite SD-017 "registry authentication failed: $(registry_of "$IMAGE") denied the pull of $IMAGE ($(echo "$out" | tail -n 1)). Check the registry credentials; nothing was changed")"; fi
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
    [ -z "$missing" ] || die "$(cite SD-006 "image $IMAGE reads ${missing% } (its label dev.service-deploy.env), which the env file ${ENV_FILE:-(none)} does not set; add them to the service's env in the stack file and deploy again. Nothing was changed")"
    log "env file sets every variable $IMAGE declares"
}
