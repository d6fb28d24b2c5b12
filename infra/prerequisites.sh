#!/usr/bin/env bash
# Check (and, as root on Debian, install) what `make` needs beside Python: Maven to fetch the
# Elasticsearch distribution and a JDK 21+ to run it; faketime, with which `make test` runs the
# tests a second time (all but Airflow's), 400 days ahead (no test may depend on today's date);
# Debian's chromium and CJK fonts, in which Playwright drives the e-mail pages' browser test.
set -euo pipefail

have_jdk21() {
  for release in /usr/lib/jvm/*/release; do
    [ -f "$release" ] || continue
    major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
    [ -n "$major" ] && [ "$major" -ge 21 ] && return 0
  done
  [ -n "${ES_JAVA_HOME:-}" ]
}

apt_install() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing: $* (install it: sudo apt-get install $*${OR:+, or $OR})" >&2
    exit 1
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v mvn >/dev/null || apt_install maven
if ! have_jdk21; then
  OR="set ES_JAVA_HOME to a JDK 21+" apt_install openjdk-21-jdk-headless || apt_install openjdk-25-jdk-headless
fi
command -v faketime >/dev/null || apt_install faketime
command -v chromium >/dev/null || apt_install chromium
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || apt_install fonts-noto-cjk
