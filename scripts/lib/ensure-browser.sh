#!/usr/bin/env bash
# Makes the browser console test runnable: Debian's chromium, Node with npm, and the test script's
# pinned playwright-core (npm ci in lightd-server/src/test/browser). Installs what is missing when
# it can (as root, from packages this machine can get, with the npm registry reachable; each
# download with bounded retries); otherwise says what is missing and exits 1, and
# BrowserConsoleIntegrationTest skips (or fails under LIGHTD_REQUIRE_BROWSER=1).
# LIGHTD_CHROMIUM names the browser binary (default /usr/bin/chromium, where Debian puts it), as
# for the test.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/retry.sh
dir=lightd-server/src/test/browser

missing=()
[ -x "${LIGHTD_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "lightd: the browser console test needs ${missing[*]}; install them as root" >&2
    exit 1
  fi
  # A failed update leaves the lists it had; the candidates below say whether they are enough.
  lightd_apt_get update -qq || true
  for p in "${missing[@]}"; do
    # Read whole, not piped into `grep -q`: grep would stop at the first match and apt-cache die of
    # SIGPIPE, which pipefail turns into "no candidate".
    policy=$(apt-cache policy "$p" 2>/dev/null || true)
    if ! [[ "$policy" =~ Candidate:\ [0-9] ]]; then
      echo "lightd: no package $p can be installed here" >&2
      exit 1
    fi
  done
  echo "lightd: installing ${missing[*]} (for the browser console test)"
  lightd_apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

wanted=$(cd "$dir" && node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
have=$(cd "$dir" && node -p "try { require('./node_modules/playwright-core/package.json').version } catch (e) { '' }")
if [ "$have" != "$wanted" ]; then
  echo "lightd: installing playwright-core $wanted (npm ci in $dir)"
  if ! (cd "$dir" && lightd_retry timeout 300 npm ci --no-audit --no-fund --loglevel=error); then
    echo "lightd: npm ci failed (is the npm registry reachable?); cannot install playwright-core $wanted" >&2
    exit 1
  fi
fi
