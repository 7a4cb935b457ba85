#!/usr/bin/env bash
# Makes sure a JDK 17+, Maven and curl are on the PATH, installing Debian's packages (with bounded
# retries) when they are not.
set -euo pipefail
. "$(dirname "$0")/retry.sh"
missing=()
if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
  missing+=(openjdk-17-jdk-headless)
fi
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "lightd: need root to install ${missing[*]}; install them and run again" >&2
    exit 1
  fi
  echo "lightd: installing ${missing[*]}"
  lightd_apt_get update -qq
  lightd_apt_get install -y -qq "${missing[@]}" >/dev/null
fi
