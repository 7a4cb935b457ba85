#!/usr/bin/env bash
# Makes the browser console test runnable: Debian's chromium, Node with npm, and the test script's
# pinned playwright-core (npm ci in lightd-server/src/test/browser). Installs what is missing when
# it can (as root, from packages this machine can get, with the npm registry reachable); otherwise
# says what is missing and exits 1, and BrowserConsoleIntegrationTest skips (or fails under
# LIGHTD_REQUIRE_BROWSER=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=lightd-server/src/test/browser

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "lightd: the browser console test needs ${missing[*]}; install them as root" >&2
    exit 1
  fi
  apt-get update -qq || true
  for p in "${missing[@]}"; do
    if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      echo "lightd: no package $p can be installed here" >&2
      exit 1
    fi
  done
  echo "lightd: installing ${missing[*]} (for the browser console test)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

wanted=$(cd "$dir" && node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
have=$(cd "$dir" && node -p "try { require('./node_modules/playwright-core/package.json').version } catch (e) { '' }")
if [ "$have" != "$wanted" ]; then
  if ! timeout 30 npm ping >/dev/null 2>&1; then
    echo "lightd: the npm registry does not answer; cannot install playwright-core $wanted" >&2
    exit 1
  fi
  echo "lightd: installing playwright-core $wanted (npm ci in $dir)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
