#!/usr/bin/env bash
# Static counts of the verify kernels, no GPU needed: compiles each
# host/gpu/verify_*.cu to PTX (nvcc -arch=sm_90 --ptx), assembles that PTX
# with ptxas -v, and prints per kernel entry (every variant the .cu file
# instantiates, so new variants are picked up without editing this script):
# registers, stack frame, spill bytes, and PTX instruction counts by class.
#
#   scripts/kernel-stats.sh                  every host/gpu/verify_*.cu and the
#                                            field probes tools/kernel_stats/*.cu
#   scripts/kernel-stats.sh host/gpu/verify_ed25519.cu ...
#
# Environment: NVCC (default nvcc on PATH or /usr/local/cuda/bin/nvcc),
# KSTATS_DIR (where the .ptx and ptxas logs stay, default /tmp/kernel-stats),
# KSTATS_JOBS (parallel compiles, default 1), KSTATS_DEFS (extra -D flags),
# KSTATS_REUSE=1 (count the .ptx/.ptxas.log already in KSTATS_DIR, no compile).
# Output: one header line, then one tab-separated row per kernel entry.
set -euo pipefail
cd "$(dirname "$0")/.."

NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
PTXAS=${PTXAS:-$(dirname "$NVCC")/ptxas}
DIR=${KSTATS_DIR:-/tmp/kernel-stats}
JOBS=${KSTATS_JOBS:-1}
mkdir -p "$DIR"

srcs=("$@")
if ((${#srcs[@]} == 0)); then
  mapfile -t srcs < <(ls host/gpu/verify_*.cu tools/kernel_stats/*.cu)
fi

compile() {
  local src=$1 base
  base="$DIR/$(basename "$src" .cu)"
  # shellcheck disable=SC2086
  if ! "$NVCC" -O3 -std=c++20 -arch=sm_90 -I. ${KSTATS_DEFS:-} --ptx "$src" -o "$base.ptx" >"$base.nvcc.log" 2>&1; then
    echo "kernel-stats: nvcc failed on $src:" >&2; cat "$base.nvcc.log" >&2; return 1
  fi
  if ! "$PTXAS" -arch=sm_90 -O3 -v "$base.ptx" -o "$base.cubin" >"$base.ptxas.log" 2>&1; then
    echo "kernel-stats: ptxas failed on $src:" >&2; cat "$base.ptxas.log" >&2; return 1
  fi
}

pids=()
[[ "${KSTATS_REUSE:-0}" == 1 ]] && srcs_to_build=() || srcs_to_build=("${srcs[@]}")
for s in "${srcs_to_build[@]}"; do
  compile "$s" &
  pids+=($!)
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
((fail)) && exit 1

# Per entry: the PTX body of each .entry (device functions are inlined into
# it; a non-inlined .func, if any, is counted on its own row), and ptxas's
# report for the same mangled name.
printf 'kernel\tregs\tstack\tspill_st\tspill_ld\tmul.lo.64\tmul.hi.64\tmul.wide.32\tmul.lo.32\tmad.wide.32\tcarry_ops\tsetp.64\tselp\tld.local\tst.local\tbra\n'
for s in "${srcs[@]}"; do
  base="$DIR/$(basename "$s" .cu)"
  awk -v ptxas="$base.ptxas.log" '
    function demangle(n,   cmd, r) {
      cmd = "c++filt \"" n "\""; cmd | getline r; close(cmd); return r
    }
    BEGIN {
      # ptxas -v: "Compiling entry function '"'"'NAME'"'"' for '"'"'sm_90'"'"'", then
      # "N bytes stack frame, S bytes spill stores, L bytes spill loads" and
      # "Used R registers".
      while ((getline line < ptxas) > 0) {
        if (line ~ /Compiling (entry )?function/) {
          name = line; sub(/.*unction ./, "", name); sub(/. for.*/, "", name); cur = name
        }
        if (cur != "" && line ~ /bytes stack frame/) {
          nw = split(line, w, /[ ,]+/)
          for (i = 1; i <= nw; i++) {
            if (w[i+1] == "bytes" && w[i+2] == "stack") stack[cur] = w[i]
            if (w[i+1] == "bytes" && w[i+2] == "spill" && w[i+3] == "stores") sst[cur] = w[i]
            if (w[i+1] == "bytes" && w[i+2] == "spill" && w[i+3] == "loads") sld[cur] = w[i]
          }
        }
        if (cur != "" && match(line, /Used [0-9]+ registers/)) {
          r = substr(line, RSTART + 5); sub(/ .*/, "", r); regs[cur] = r
        }
      }
    }
    /^\.(visible |weak )?\.?(entry|func)/ {
      name = $0; sub(/\(.*/, "", name); n = split(name, w, " "); name = w[n]
      cur = name; order[++nk] = cur; next
    }
    cur == "" { next }
    {
      op = $1; if (op ~ /^@/) op = $2
      if (op ~ /^mul\.lo\.[su]64/) c[cur, "mullo64"]++
      else if (op ~ /^mul\.hi\.[su]64/) c[cur, "mulhi64"]++
      else if (op ~ /^mul\.wide\.[su]32/) c[cur, "mulwide32"]++
      else if (op ~ /^mul\.(lo|hi)\.[su]32/) c[cur, "mul32"]++
      else if (op ~ /^mad\.wide\.[su]32/) c[cur, "madwide32"]++
      if (op ~ /^(add|sub)\.cc|^(addc|subc)|^mad(c)?\.(lo|hi)\.cc/) c[cur, "carry"]++
      if (op ~ /^setp\.[a-z]+\.[su]64/) c[cur, "setp64"]++
      if (op ~ /^selp/) c[cur, "selp"]++
      if (op ~ /^ld\.local/) c[cur, "ldl"]++
      if (op ~ /^st\.local/) c[cur, "stl"]++
      if (op ~ /^bra/) c[cur, "bra"]++
    }
    END {
      for (k = 1; k <= nk; k++) {
        e = order[k]; d = demangle(e); sub(/^void /, "", d); gsub(/\(unsigned char\)/, "", d)
        if (match(d, />\(/)) d = substr(d, 1, RSTART); else sub(/\(.*/, "", d)
        gsub(/[ \t]+/, "", d)
        printf "%s\t%s\t%s\t%s\t%s", d, (e in regs) ? regs[e] : "?", (e in stack) ? stack[e] : "?", \
          (e in sst) ? sst[e] : "?", (e in sld) ? sld[e] : "?"
        split("mullo64 mulhi64 mulwide32 mul32 madwide32 carry setp64 selp ldl stl bra", cls, " ")
        for (j = 1; j <= 11; j++) printf "\t%d", c[e, cls[j]]
        printf "\n"
      }
    }' "$base.ptx"
done
