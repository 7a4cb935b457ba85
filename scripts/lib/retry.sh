# Sourced by lightd's scripts: bounded retries for steps that need the network (apt-get, npm) and
# the apt-get options that let an install wait for another one instead of failing at once.
#
#   lightd_retry CMD [ARG...]
#       runs CMD up to LIGHTD_RETRY_ATTEMPTS times (default 3), LIGHTD_RETRY_DELAY_SECONDS (default 5)
#       times the attempt number apart; returns 0 at the first success, else the last exit status.
#       Give CMD its own `timeout` when one attempt could hang.
#   lightd_apt_get ARG...
#       apt-get, non-interactive, waiting up to 5 minutes for the dpkg lock and retrying each
#       download, through lightd_retry; as root (directly, or through `sudo -n`).

lightd_retry() {
  local attempts="${LIGHTD_RETRY_ATTEMPTS:-3}" delay="${LIGHTD_RETRY_DELAY_SECONDS:-5}" n=1 status
  while true; do
    "$@" && return 0
    status=$?
    if [ "$n" -ge "$attempts" ]; then
      echo "lightd: gave up after $n attempts (last exit status $status): $*" >&2
      return "$status"
    fi
    echo "lightd: attempt $n of $attempts failed (exit status $status), again in $((delay * n)) s: $*" >&2
    sleep "$((delay * n))"
    n=$((n + 1))
  done
}

lightd_apt_get() {
  local root=()
  if [ "$(id -u)" -ne 0 ]; then
    root=(sudo -n)
  fi
  lightd_retry "${root[@]}" env DEBIAN_FRONTEND=noninteractive timeout 900 apt-get \
    -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3 "$@"
}
