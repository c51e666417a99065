#!/usr/bin/env bash
# Installs the Debian (bookworm) packages anomstream needs to build, test and run.
# Idempotent: packages already present are left alone, and nothing is fetched when
# everything is installed. Must run as root (or with sudo available) on Debian.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libboost-program-options-dev
  libyaml-cpp-dev
  prometheus-cpp-dev
  libspdlog-dev libfmt-dev
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  libssl-dev
  doctest-dev
  libbenchmark-dev
  # Scale-out: the NATS C client, and a JetStream server for its integration test.
  libnats-dev nats-server
  prometheus
  curl
  # The packaging test: dpkg-shlibdeps for `cpack -G DEB`, systemd-analyze and
  # systemd-sysusers to check the installed unit and user (no service is started).
  dpkg-dev systemd
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root; install them as root" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The prometheus server package is only needed for `promtool`; do not start its service.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
