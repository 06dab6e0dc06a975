#!/usr/bin/env bash
# Installs the Debian 12 packages blockgate needs, only those missing:
# one `apt-get update`, then one `apt-get install`. Safe to run repeatedly.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev
  libabsl-dev libssl-dev libsodium-dev libsecp256k1-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  librocksdb-dev  # the ledger's transaction index (ledger/id_index.cc)
  clang libclang-rt-14-dev
  python3 curl
  nats-server libnats-dev zlib1g-dev  # JetStream publisher/follower (and its tests), gzip stream
  chromium  # headless browser for tests/status_page_test.cc
)
# Optional extras a caller can ask for (e.g. the status-page browser test).
if [[ -n "${BLOCKGATE_EXTRA_PACKAGES:-}" ]]; then
  read -r -a extra <<<"${BLOCKGATE_EXTRA_PACKAGES}"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
