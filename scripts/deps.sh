#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build, run and test the project (as root).
# Sourced or run by scripts/demo and scripts/test; skips apt when everything is there.
set -euo pipefail

AREC_PACKAGES=(
  # build
  build-essential cmake pkg-config clang-14 libclang-rt-14-dev clang-format
  # libraries
  libglib2.0-dev libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libjson-c-dev
  libsofia-sip-ua-dev libsofia-sip-ua-glib-dev libsrtp2-dev libpq-dev libxml2-dev
  libcmocka-dev libcurl4-openssl-dev
  # jemalloc for gatewayd: SIP messages allocated on the stack thread, freed on the loop
  libjemalloc-dev
  # libcrypto: ar_srtp's OpenSSL crypto kernel for libsrtp2 (common/srtp/ar_srtp_ossl.c)
  libssl-dev
  # libre's OpenSSL SRTP: -DAREC_SRTP_BACKEND=libre and bench_srtp (docs/mediad.md "SRTP")
  libre-dev
  # runtime peers and test tools
  postgresql sip-tester python3 python3-websockets python3-pytest sox procps iproute2 openssl
  # softphone for the call tests (tests/integration/calls/test_baresip.py)
  baresip-core
  # status page test (headless, driven over the DevTools protocol)
  chromium
)

missing=()
for p in "${AREC_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
