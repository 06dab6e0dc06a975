#!/usr/bin/env python3
# Turns blockgate_bench JSON (run with --benchmark_repetitions=N
# --benchmark_out=F --benchmark_out_format=json) into the docs/PERFORMANCE.md
# table: medians, per-core rates from process CPU time, wall-clock scaling.
# Usage: scripts/bench_verify_table.py bench.json
import json, re, sys

runs = json.load(open(sys.argv[1]))["benchmarks"]
med = {}
for b in runs:
    if b.get("aggregate_name") == "median":
        med[b["run_name"]] = b

def rate(name, per_cpu):
    b = med.get(name)
    if b is None:
        return None
    n = b["items_per_second"] * b["real_time"]  # items per iteration, in time units
    t = b["cpu_time"] if per_cpu else b["real_time"]
    return n / t

print("| scheme | batch | bare library, 1 core (CPU) | engine 1 thread (CPU) | engine/bare | engine 1 thread (wall) | engine all threads (wall) | all/1 (wall) | all threads per CPU-s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for scheme in ("ed25519", "secp256k1", "p256"):
    for batch in (1, 64, 1024, 16384):
        bare = rate(f"BM_Bare/{scheme}/batch:{batch}/process_time/real_time", True)
        e1c = rate(f"BM_Engine/{scheme}/batch:{batch}/threads:1/process_time/real_time", True)
        e1w = rate(f"BM_Engine/{scheme}/batch:{batch}/threads:1/process_time/real_time", False)
        eaw = rate(f"BM_Engine/{scheme}/batch:{batch}/threads:0/process_time/real_time", False)
        eac = rate(f"BM_Engine/{scheme}/batch:{batch}/threads:0/process_time/real_time", True)
        if None in (bare, e1c, e1w, eaw, eac):
            continue
        print(f"| {scheme} | {batch} | {bare:,.0f}/s | {e1c:,.0f}/s | {e1c / bare:.2f} | {e1w:,.0f}/s | {eaw:,.0f}/s | {eaw / e1w:.2f} | {eac:,.0f}/s |")

print()
print("| hashing | size | wall | CPU |")
print("|---|---|---:|---:|")
for name, b in med.items():
    if name.startswith(("BM_Sha256", "BM_Merkle")):
        mbs_wall = b["bytes_per_second"] / 1e6
        mbs_cpu = mbs_wall * b["real_time"] / b["cpu_time"]
        print(f"| {name.replace('/process_time/real_time', '')} | {b['items_per_second']:,.0f} items/s | {mbs_wall:,.1f} MB/s | {mbs_cpu:,.1f} MB/s per CPU-s |")
