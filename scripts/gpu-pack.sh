#!/usr/bin/env bash
# Prepares out/gpu/, the one folder a GPU check carries to the lent machine
# (docs/GPU.md §7): the corpus with reference verdicts, gpu_check built here
# (CMake, from the backend's own kernel objects), the backend's device test and
# `blockgate` (for `blockgate bench` there), with the shared libraries they
# need in out/gpu/lib (that machine has no Abseil, Boost, libsodium,
# libsecp256k1, RocksDB or OpenSSL 3). gpu_check itself must need none of
# them: checked with ldd. The pack must stay under PACK_LIMIT_MIB (40).
#
#   scripts/gpu-pack.sh [--no-prebuilt]     (BUILD_DIR defaults to build, a CUDA build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PACK=out/gpu
LIMIT=${PACK_LIMIT_MIB:-40}

targets=(make_gpu_corpus host_gpu_gpu_backend_test blockgate)
[[ "${1:-}" != "--no-prebuilt" ]] && targets+=(gpu_check)
cmake --build "$BUILD_DIR" -j2 --target "${targets[@]}"
rm -rf "$PACK"
mkdir -p "$PACK/lib" "$PACK/backend_test/testvectors" "$PACK/bench"
"$BUILD_DIR/tools/gpu_check/make_gpu_corpus" --out "$PACK/corpus.bin" | head -1

# Libraries ldd lists, except the C/C++ runtime (the GPU machine has it, in a
# newer version), into the shared lib folder.
carry_libs() {
  ldd "$1" | awk '$3 ~ /^\// { print $3 }' |
    grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt)\.so' |
    while read -r lib; do [[ -f "$PACK/lib/$(basename "$lib")" ]] || cp -L "$lib" "$PACK/lib/"; done
}

if [[ "${1:-}" != "--no-prebuilt" ]]; then
  cp "$BUILD_DIR/tools/gpu_check/gpu_check" "$PACK/gpu_check"
  strip "$PACK/gpu_check"
  if ldd "$PACK/gpu_check" | grep -Ei 'absl|boost|sodium|secp256k1|gtest|rocksdb|nats|libssl|libcrypto|libz\.'; then
    echo "gpu-pack: gpu_check needs a library the GPU machine lacks (above)" >&2
    exit 1
  fi
fi

cp "$BUILD_DIR/host/gpu/host_gpu_gpu_backend_test" "$PACK/backend_test/"
strip "$PACK/backend_test/host_gpu_gpu_backend_test"
carry_libs "$BUILD_DIR/host/gpu/host_gpu_gpu_backend_test"
cp "$BUILD_DIR/blockgate" "$PACK/bench/blockgate"
strip "$PACK/bench/blockgate"
carry_libs "$BUILD_DIR/blockgate"
vectors=tests/vectors
cp "$vectors"/blockgate_wycheproof.jsonl "$vectors"/blockgate_speccheck.jsonl "$PACK/backend_test/testvectors/"

# Every carried program must find all its libraries in the pack (what the
# bare GPU machine will see), and the whole pack must fit its limit.
for p in "$PACK/backend_test/host_gpu_gpu_backend_test" "$PACK/bench/blockgate" ${PACK}/gpu_check; do
  [[ -x "$p" ]] || continue
  if LD_LIBRARY_PATH="$PACK/lib" ldd "$p" | grep 'not found'; then
    echo "gpu-pack: $p misses a library" >&2
    exit 1
  fi
done
du -sh "$PACK" "$PACK"/*
size=$(du -sm "$PACK" | cut -f1)
if (( size > LIMIT )); then
  echo "gpu-pack: $PACK is ${size} MiB, over the ${LIMIT} MiB limit" >&2
  exit 1
fi
echo "gpu-pack: $PACK ${size} MiB (limit ${LIMIT} MiB)"
