#!/usr/bin/env bash
# Makes sure a JDK 17+ and Maven are on the PATH, installing Debian's packages when they are not.
set -euo pipefail
missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "lightd: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "lightd: need root to install ${missing[*]}; install them and run again" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
