#!/usr/bin/env bash
# Prepares what a GPU check carries to the lent machine (docs/GPU.md §7): the
# folder out/gpu/ and the one file that travels, out/gpu.tar.xz (scripts/
# gpu-check.sh unpacks it there). out/gpu/ holds the corpus with reference
# verdicts, gpu_check built here (CMake, from the backend's own kernel
# objects), its CPU twin gpu_check_cpu (the dry run, scripts/gpu-check.sh
# --cpu), the backend's device test and `blockgate` (for `blockgate bench`
# there), every binary stripped, and in out/gpu/lib one copy of each shared
# library they need beyond the bare image (that machine has glibc, libstdc++
# and the CUDA driver, and no Abseil, Boost, libsodium, libsecp256k1, RocksDB,
# NATS or OpenSSL 3). gpu_check and gpu_check_cpu themselves need none of
# them. Checked with readelf: every DT_NEEDED of every carried ELF file is
# either in out/gpu/lib or on the bare-image list below. The pack fails when
# out/gpu.tar.xz is over PACK_LIMIT_MIB (40).
#
#   scripts/gpu-pack.sh [--no-prebuilt]     (BUILD_DIR defaults to build, a CUDA build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PACK=out/gpu
ARCHIVE=out/gpu.tar.xz
LIMIT=${PACK_LIMIT_MIB:-40}
# What the bare GPU image provides (glibc, the GCC runtime, the CUDA driver
# that the static CUDA runtime loads with dlopen): never carried.
BARE='^(libc|libm|libpthread|libdl|librt|libresolv|ld-linux-x86-64|libstdc\+\+|libgcc_s|libcuda)\.so'

prebuilt=1
[[ "${1:-}" == "--no-prebuilt" ]] && prebuilt=0
targets=(make_gpu_corpus gpu_check_cpu host_gpu_gpu_backend_test blockgate)
((prebuilt)) && targets+=(gpu_check)
cmake --build "$BUILD_DIR" -j2 --target "${targets[@]}"
rm -rf "$PACK" "$ARCHIVE"
mkdir -p "$PACK/lib" "$PACK/backend_test/testvectors" "$PACK/bench"
"$BUILD_DIR/tools/gpu_check/make_gpu_corpus" --out "$PACK/corpus.bin" | head -1

# One copy of each library ldd lists that the bare image lacks.
carry_libs() {
  ldd "$1" | awk '$3 ~ /^\// { print $3 }' | while read -r lib; do
    [[ "$(basename "$lib")" =~ $BARE ]] && continue
    [[ -f "$PACK/lib/$(basename "$lib")" ]] || cp -L "$lib" "$PACK/lib/"
  done
}

if ((prebuilt)); then
  cp "$BUILD_DIR/tools/gpu_check/gpu_check" "$PACK/gpu_check"
fi
cp "$BUILD_DIR/tools/gpu_check/gpu_check_cpu" "$PACK/gpu_check_cpu"
cp "$BUILD_DIR/host/gpu/host_gpu_gpu_backend_test" "$PACK/backend_test/"
carry_libs "$BUILD_DIR/host/gpu/host_gpu_gpu_backend_test"
cp "$BUILD_DIR/blockgate" "$PACK/bench/blockgate"
carry_libs "$BUILD_DIR/blockgate"
strip "$PACK"/gpu_check* "$PACK/backend_test/host_gpu_gpu_backend_test" "$PACK/bench/blockgate"
strip --strip-unneeded "$PACK"/lib/*
cp tests/vectors/blockgate_wycheproof.jsonl tests/vectors/blockgate_speccheck.jsonl "$PACK/backend_test/testvectors/"

# Every carried ELF file: each library it names is in lib/ or on the bare
# list; the check programs need nothing from lib/ at all.
fail=0
while read -r f; do
  needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  for lib in $needed; do
    if [[ "$lib" =~ $BARE ]]; then continue; fi
    case "$f" in */gpu_check|*/gpu_check_cpu)
      echo "gpu-pack: $f needs $lib; the check programs must need only glibc, libstdc++ and the driver" >&2
      fail=1; continue ;;
    esac
    [[ -f "$PACK/lib/$lib" ]] || { echo "gpu-pack: $f needs $lib, which is neither carried nor on the bare image" >&2; fail=1; }
  done
done < <(find "$PACK" -type f -exec sh -c 'head -c 4 "$1" | grep -q ELF' _ {} \; -print)
((fail)) && exit 1
glibc=$(find "$PACK" -type f -exec sh -c 'head -c 4 "$1" | grep -q ELF && objdump -T "$1"' _ {} \; 2>/dev/null |
        grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n -u | tail -1)
glibcxx=$(find "$PACK" -type f -exec sh -c 'head -c 4 "$1" | grep -q ELF && objdump -T "$1"' _ {} \; 2>/dev/null |
          grep -o 'GLIBCXX_3\.4\.[0-9]*' | sort -t. -k3 -n -u | tail -1)
echo "gpu-pack: the carried programs need at most $glibc and $glibcxx of the GPU machine"

# One solid xz archive: the three programs embed the same kernels (~15 MB
# of device code each), next to each other in the archive so the second and
# third copies cost almost nothing.
members=(gpu/gpu_check_cpu)
((prebuilt)) && members+=(gpu/gpu_check)
members+=(gpu/backend_test gpu/bench gpu/lib gpu/corpus.bin)
tar -C out -cf - "${members[@]}" | xz -9 -T1 -c >"$ARCHIVE"
du -sh "$PACK"/* "$PACK" "$ARCHIVE"
size=$(stat -c %s "$ARCHIVE")
mib=$(( (size + 1048575) / 1048576 ))
if (( size > LIMIT * 1048576 )); then
  echo "gpu-pack: $ARCHIVE is ${mib} MiB, over the ${LIMIT} MiB limit" >&2
  exit 1
fi
echo "gpu-pack: $ARCHIVE $size bytes (${mib} MiB, limit ${LIMIT} MiB); unpacked $(du -sm "$PACK" | cut -f1) MiB"
