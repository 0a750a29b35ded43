#!/usr/bin/env bash
# Makes a fresh Debian machine able to build and test hubprobe: a JDK (17+), Python 3 with venv,
# Node.js with npm, Prometheus (promtool, and a real server the tests scrape with) and Alertmanager,
# headless Chromium with its driver (the status page is tested in a real browser), and PostgreSQL
# (the replicas' shared history; the tests run a throwaway cluster of their own, not the service),
# and Go with gcc, which build the Helm chart's test tools (helm, kube-apiserver, kine) at the end.
# Installs only what is missing, with apt-get (as root). The pinned Python and npm packages of the
# test hub are installed later, on first use, by src/test/hub/install.sh.
set -euo pipefail
missing=()
command -v java >/dev/null && command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v curl >/dev/null || missing+=(curl)
command -v unzip >/dev/null || missing+=(unzip)
command -v promtool >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# Go builds the Helm chart's test tools (scripts/install-k8s-tools.sh); an old one fetches a new toolchain
command -v go >/dev/null || [[ -x /usr/local/go/bin/go ]] || missing+=(golang-go)
command -v gcc >/dev/null || missing+=(gcc)
# kine's SQLite is cgo: it needs the C library's headers, which gcc only recommends (and recommends are
# not installed below)
[[ -e /usr/include/stdlib.h ]] || missing+=(libc6-dev)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "setup-machine: please install: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup-machine: installing ${missing[*]}" >&2
  apt-get update -qq
  # --no-install-recommends: the prometheus package is wanted for promtool, not a running server
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # Debian may start these as services on install; tests run their own on free ports
  if command -v systemctl >/dev/null; then
    systemctl stop prometheus prometheus-alertmanager postgresql 2>/dev/null || true
  fi
fi
# One launcher test runs a check on JDK 25 or newer (its AOT cache): Debian 12 packages none, so it is
# not installed here; said now, before a 40-minute run fails on it at the end
if [[ -z "${HUBPROBE_TEST_JDK25:-}" ]] && ! grep -qsE '^JAVA_VERSION="(2[5-9]|[3-9][0-9])' /usr/lib/jvm/*/release; then
  echo "setup-machine: no JDK 25 or newer under /usr/lib/jvm: LauncherIT's AOT cache test will fail; install one, or set HUBPROBE_TEST_JDK25 to its home" >&2
fi
# helm, kube-apiserver, kine and the Prometheus Operator's CRDs for HelmChartIT, built from the Go module
# proxy once per version into the test cache (minutes on the first run, nothing after)
"$(dirname "$0")/install-k8s-tools.sh" >/dev/null
