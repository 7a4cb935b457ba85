#!/usr/bin/env bash
# A local Docker engine and the test image for lightd's Docker tests.
#
#   scripts/lib/docker-engine.sh [start]   install what is missing, start an engine when none
#                                          answers, build lightd-test:latest when absent
#   scripts/lib/docker-engine.sh stop      stop the engine, but only one this script started
#   scripts/lib/docker-engine.sh status    say whether an engine answers
#
# Sourced, it defines docker_engine_start, docker_engine_stop and docker_engine_status (and the
# helpers of retry.sh) and runs nothing. Every step prints one line. Running it twice does nothing
# the second time. Package downloads are retried a bounded number of times (retry.sh).
#
# The engine started here listens on the default socket (unix:///var/run/docker.sock) with the
# vfs storage driver, no iptables and no default bridge (test containers use network mode none),
# and live-restore: containers keep running while the engine is stopped or restarting.
# Its log and pidfile live in LIGHTD_DOCKER_STATE_DIR (default: <temp dir>/lightd-docker-engine),
# which is also how `stop` knows the engine is ours.

# shellcheck source=retry.sh
. "$(dirname "${BASH_SOURCE[0]}")/retry.sh"

LIGHTD_TEST_IMAGE="${LIGHTD_TEST_IMAGE:-lightd-test:latest}"
LIGHTD_DOCKER_STATE_DIR="${LIGHTD_DOCKER_STATE_DIR:-${TMPDIR:-/tmp}/lightd-docker-engine}"
LIGHTD_DOCKER_START_TIMEOUT="${LIGHTD_DOCKER_START_TIMEOUT:-60}"

_de_say() { echo "docker-engine: $*"; }

# Runs a command as root: directly when we are root, through sudo otherwise.
_de_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        _de_say "need root for: $*" >&2
        return 1
    fi
}

_de_engine_answers() {
    timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

_de_busybox_static() {
    # busybox-static installs /bin/busybox; on merged-/usr systems it is also /usr/bin/busybox.
    local candidate
    for candidate in /bin/busybox /usr/bin/busybox; do
        if [ -x "$candidate" ] && ! ldd "$candidate" >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

_de_install_packages() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 || missing+=(docker.io)
    _de_busybox_static >/dev/null || missing+=(busybox-static)
    if [ ${#missing[@]} -eq 0 ]; then
        _de_say "packages present (docker.io, busybox-static)"
        return 0
    fi
    _de_say "installing ${missing[*]} with apt-get"
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
        _de_say "need root to install ${missing[*]}" >&2
        return 1
    fi
    lightd_apt_get update -q >/dev/null || return 1
    lightd_apt_get install -y -q "${missing[@]}" >/dev/null || return 1
}

_de_start_engine() {
    if _de_engine_answers; then
        _de_say "engine answers ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
        return 0
    fi
    mkdir -p "$LIGHTD_DOCKER_STATE_DIR" || return 1
    local log="$LIGHTD_DOCKER_STATE_DIR/dockerd.log" pidfile="$LIGHTD_DOCKER_STATE_DIR/dockerd.pid"
    _de_say "starting dockerd (vfs, no iptables, no bridge, live-restore), log $log"
    # setsid: the engine must outlive the shell that started it and not get its signals.
    _de_root setsid dockerd --storage-driver=vfs --iptables=false --bridge=none --live-restore --pidfile "$pidfile" \
        >"$log" 2>&1 </dev/null &
    local waited=0
    until _de_engine_answers; do
        if [ "$waited" -ge "$LIGHTD_DOCKER_START_TIMEOUT" ]; then
            _de_say "engine did not answer within ${LIGHTD_DOCKER_START_TIMEOUT}s; last log lines:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    _de_say "engine answers after ${waited}s ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
}

_de_build_image() {
    if docker image inspect "$LIGHTD_TEST_IMAGE" >/dev/null 2>&1; then
        _de_say "image $LIGHTD_TEST_IMAGE present"
        return 0
    fi
    local busybox root applet
    busybox="$(_de_busybox_static)" || { _de_say "no static busybox found" >&2; return 1; }
    root="$(mktemp -d)" || return 1
    mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/home/container"
    cp "$busybox" "$root/bin/busybox"
    for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    chmod 1777 "$root/tmp"
    _de_say "building $LIGHTD_TEST_IMAGE from $busybox ($(ls "$root/bin" | wc -l) files in /bin)"
    tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$LIGHTD_TEST_IMAGE" >/dev/null
    local status=$?
    rm -rf "$root"
    return $status
}

docker_engine_start() {
    _de_install_packages && _de_start_engine && _de_build_image
}

docker_engine_stop() {
    local pidfile="$LIGHTD_DOCKER_STATE_DIR/dockerd.pid" pid
    if [ ! -s "$pidfile" ]; then
        _de_say "no engine started by this script; nothing to stop"
        return 0
    fi
    pid="$(cat "$pidfile")"
    if ! kill -0 "$pid" 2>/dev/null || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
        _de_say "engine $pid from $pidfile is not running; forgetting it"
        _de_root rm -f "$pidfile"
        return 0
    fi
    _de_say "stopping dockerd $pid"
    _de_root kill -TERM "$pid" || return 1
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge 30 ]; then
            _de_say "dockerd $pid still running after 30s; sending SIGKILL"
            _de_root kill -KILL "$pid"
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    _de_root rm -f "$pidfile"
    _de_say "dockerd $pid stopped"
}

docker_engine_status() {
    if _de_engine_answers; then
        _de_say "engine answers ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
    else
        _de_say "no engine answers"
        return 1
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case "${1:-start}" in
        start) docker_engine_start ;;
        stop) docker_engine_stop ;;
        status) docker_engine_status ;;
        *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
    esac
fi
