#!/usr/bin/env bash
# Installs every Debian package retsim needs to build, test and plot. Idempotent: when all
# packages are present it only checks them (about a second) and installs nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libtbb-dev libhdf5-dev hdf5-tools libcli11-dev catch2 libbenchmark-dev
  libtomlplusplus-dev librandom123-dev libboost-dev libnlopt-dev libnlopt-cxx-dev libsleef-dev
  python3 python3-h5py python3-numpy python3-scipy python3-matplotlib python3-pandas chromium
  libopenmpi-dev openmpi-bin
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
