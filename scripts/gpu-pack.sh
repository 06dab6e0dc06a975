#!/usr/bin/env bash
# Prepares out/gpu/, the one folder a GPU check carries to the lent machine
# (docs/GPU.md §7): the corpus with reference verdicts, gpu_check prebuilt
# with nvcc here, and the backend's device test with the shared libraries it
# needs (that machine has no Abseil, libsodium, libsecp256k1 or OpenSSL 3).
#
#   scripts/gpu-pack.sh [--no-prebuilt]     (BUILD_DIR defaults to build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PACK=out/gpu

cmake --build "$BUILD_DIR" -j2 --target make_gpu_corpus host_gpu_gpu_backend_test
mkdir -p "$PACK"
"$BUILD_DIR/tools/gpu_check/make_gpu_corpus" --out "$PACK/corpus.bin" | head -1

if [[ "${1:-}" != "--no-prebuilt" ]]; then
  scripts/gpu-check.sh --build-only
  cp /tmp/gpu_check_build/gpu_check "$PACK/gpu_check"
fi

# The backend test and every library ldd lists except the C/C++ runtime,
# which the GPU machine has in a newer version.
bt="$PACK/backend_test"
rm -rf "$bt"
mkdir -p "$bt/lib" "$bt/testvectors"
cp "$BUILD_DIR/host/gpu/host_gpu_gpu_backend_test" "$bt/"
strip "$bt/host_gpu_gpu_backend_test"
ldd "$BUILD_DIR/host/gpu/host_gpu_gpu_backend_test" | awk '$3 ~ /^\// { print $3 }' |
  grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt)\.so' |
  while read -r lib; do cp -L "$lib" "$bt/lib/"; done
vectors=tests/vectors
cp "$vectors"/blockgate_wycheproof.jsonl "$vectors"/blockgate_speccheck.jsonl "$bt/testvectors/"
du -sh "$PACK" "$PACK"/*
