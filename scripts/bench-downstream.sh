#!/usr/bin/env bash
# Downstream benchmarks on one machine (docs/PERFORMANCE.md, "Downstream"):
#  1. follower catch-up: a leader holds COUNT ed25519 transactions; an empty
#     follower (--follow http://leader, then nats://) catches up, timed from
#     its start to its tip = the leader's; compared with `blockgate verify`
#     on the very same transactions (extracted from the leader's blocks) in
#     the same run;
#  2. publish: the leader's ledger grown to PUB_COUNT transactions (~10,000
#     blocks at the default, so that each run lasts about half a second), then
#     2 * RUNS + 1 fresh JetStream streams, each filled by serve --publish
#     from a copy of it, alternating with bench/nats_publish (raw publishes
#     of messages of the average block size: synchronous, and with the
#     publisher's window of 64 unacknowledged);
#  3. end-to-end latency: a leader publishing to JetStream, one follower
#     over http:// and one over nats://; a light loadgen (one connection)
#     then a saturating one on the leader; each follower's own seal-to-commit
#     quantiles per phase (leader's block timestamp to durable on the
#     follower, /v1/status).
# Usage: scripts/bench-downstream.sh [BUILD_DIR] [COUNT] [RUNS] [PUB_COUNT]
#   (defaults: build 20000 3 1000000; PUB_COUNT is raised to COUNT if lower)
set -euo pipefail
build=${1:-build}
count=${2:-20000}
runs=${3:-3}
pub_count=${4:-1000000}
(( pub_count < count )) && pub_count=$count
bin=$build/blockgate
for b in "$bin" "$build/bench/nats_publish"; do
  [[ -x $b ]] || { echo "bench-downstream: $b is missing (cmake --build $build --target blockgate nats_publish)" >&2; exit 1; }
done
tmp=$(mktemp -d)
cleanup() {
  for p in "$tmp"/*.pid; do [[ -f $p ]] && { kill -9 "$(cat "$p")" 2>/dev/null || true; }; done
  sleep 0.3  # the killed servers let go of their directories
  rm -rf "$tmp" 2>/dev/null || true
}
trap cleanup EXIT

now() { date +%s.%N; }
# serve DIR ARGS... -> prints the URL; the pid goes to DIR.pid
serve() {
  local dir=$1; shift
  "$bin" serve --data "$dir" --listen 127.0.0.1:0 --backend cpu "$@" >"$dir.out" 2>"$dir.err" &
  echo $! >"$dir.pid"
  for _ in $(seq 1 600); do
    if grep -q 'listening on' "$dir.out" 2>/dev/null; then sed -n 's/.*listening on //p' "$dir.out"; return; fi
    sleep 0.05
  done
  echo "bench-downstream: server in $dir did not start" >&2; cat "$dir.err" >&2; exit 1
}
height() { curl -s "$1/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])'; }
# wait_height URL H DIR: until the server at URL has height H (600 s at most)
wait_height() {
  for _ in $(seq 1 30000); do [[ $(height "$1") -ge $2 ]] && return; sleep 0.02; done
  echo "bench-downstream: $1 never reached height $2" >&2; cat "$3.err" >&2; exit 1
}
cpu_s() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }

echo "bench-downstream: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
# 100 transactions a block: many blocks, as a busy leader makes.
leader=$(serve "$tmp/leader" --max-block-txs 100)
"$bin" loadgen --url "$leader" --scheme ed25519 --transactions "$count" --binary >"$tmp/loadgen.out" 2>&1
tip=$(height "$leader")
"$bin" tail --url "$leader" --from 0 --until "$tip" >"$tmp/blocks.ndjson"
python3 - "$tmp/blocks.ndjson" "$tmp/txs.jsonl" <<'PY'
import json, sys
n = 0
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        if line.strip():
            for tx in json.loads(line)["transactions"]:
                out.write(json.dumps(tx) + "\n"); n += 1
print(f"bench-downstream: {n} transactions in blocks 0..", end="")
PY
echo "$tip"
bytes=$(du -sb "$tmp/leader" | cut -f1)

verify_rates=(); follow_rates=(); nats_rates=(); verify_cpu=(); follow_cpu=(); nats_cpu=()
nats_store=$tmp/nats
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/sbin/nats-server -js -a 127.0.0.1 -p "$port" -sd "$nats_store" >"$tmp/nats.log" 2>&1 &
echo $! >"$tmp/nats.pid"
sleep 1
nats=nats://127.0.0.1:$port
# The stream the nats:// followers read: a --publish copy of the ledger.
cp -r "$tmp/leader" "$tmp/src"
serve "$tmp/src" --publish "$nats" --max-block-bytes 1000000 >/dev/null
for _ in $(seq 1 30000); do grep -q 'publish: caught up' "$tmp/src.err" && break; sleep 0.02; done
kill -TERM "$(cat "$tmp/src.pid")"

for ((r = 0; r < runs; ++r)); do
  t0=$(now)
  /usr/bin/time -f '%U %S' -o "$tmp/verify.time" "$bin" verify --backend cpu --input "$tmp/txs.jsonl" >/dev/null 2>&1
  t1=$(now)
  verify_rates+=($(python3 -c "print(round($count / ($t1 - $t0)))"))
  verify_cpu+=($(awk '{printf "%.3f", $1 + $2}' "$tmp/verify.time"))
  for src in http nats; do
    dir=$tmp/follower-$src-$r
    up=$leader; [[ $src == nats ]] && up=$nats
    f=$(serve "$dir" --follow "$up")
    # The follower's own measure: start of following to the commit of the
    # upstream's tip (its "caught up" log line). The wait looks for that line
    # with grep every 0.1 s: polling /v1/status (curl and python) every few
    # milliseconds took a good part of a core from the follower on two.
    for _ in $(seq 1 6000); do grep -q 'caught up' "$dir.err" && break; sleep 0.1; done
    [[ $(height "$f") -ge $tip ]] || { echo "bench-downstream: $dir did not catch up" >&2; cat "$dir.err" >&2; exit 1; }
    rate=$(sed -n 's/.*caught up with height .* (\([0-9]*\) tx\/s).*/\1/p' "$dir.err" | head -1)
    grep -h 'caught up' "$dir.err" | head -1 | sed "s/^blockgate: follow: /bench-downstream:   $src run $r: /"
    cpu=$(cpu_s "$(cat "$dir.pid")")
    if [[ $src == http ]]; then follow_rates+=($rate); follow_cpu+=($cpu); else nats_rates+=($rate); nats_cpu+=($cpu); fi
    kill -TERM "$(cat "$dir.pid")"
  done
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
mv=$(median "${verify_rates[@]}"); mf=$(median "${follow_rates[@]}"); mn=$(median "${nats_rates[@]}")
echo "bench-downstream: blockgate verify:            ${verify_rates[*]} tx/s (median $mv); CPU s ${verify_cpu[*]}"
echo "bench-downstream: follower CPU s (http): ${follow_cpu[*]}; (nats): ${nats_cpu[*]}"
echo "bench-downstream: follower from http://leader: ${follow_rates[*]} tx/s (median $mf, $(python3 -c "print(f'{$mf/$mv:.2f}')") of verify)"
echo "bench-downstream: follower from nats://:       ${nats_rates[*]} tx/s (median $mn, $(python3 -c "print(f'{$mn/$mv:.2f}')") of verify)"

# Publishing: the publisher's own measure is its "caught up" log line (first
# publish to the last acknowledgement of the backlog), free of polling.
pub_rates=(); sync_rates=(); async_rates=(); pub_s=(); async_s=()
# The publish ledger: the leader's, grown to PUB_COUNT transactions by more
# load (another seed: new transactions) in blocks of the same size.
cp -r "$tmp/leader" "$tmp/publ"
pl=$(serve "$tmp/publ" --max-block-txs 100)
if (( pub_count > count )); then
  "$bin" loadgen --url "$pl" --scheme ed25519 --transactions $((pub_count - count)) --binary --seed 77 \
    >"$tmp/loadgen-pub.out" 2>&1 || { echo "bench-downstream: the loadgen failed:" >&2; tail -5 "$tmp/loadgen-pub.out" >&2; exit 1; }
fi
pblocks=$(($(height "$pl") + 1))
# A settled index: RocksDB done compacting the ingested files, so that no
# copy starts with a compaction due (0.6 CPU s at 1 M transactions, on a
# background thread, during the publish).
for _ in $(seq 1 600); do
  curl -s "$pl/metrics" | grep -q '^blockgate_ledger_index_compacting 0' && break; sleep 0.1
done
kill -TERM "$(cat "$tmp/publ.pid")"; wait "$(cat "$tmp/publ.pid")" 2>/dev/null || true
pavg=$(($(cat "$tmp/publ"/segment-*.log | wc -c) / pblocks))
echo "bench-downstream: publish $pblocks blocks of $pavg bytes on average; load $(cut -d' ' -f1-3 /proc/loadavg)"
# Each stream is deleted once measured: otherwise every run writes beside
# the write-back of the ones before (21 streams of ~170 MB by the end), which
# lands on whichever client is running at the time.
drop_stream() { "$build/bench/nats_publish" "$nats" "$1" --delete; }
for ((r = 0; r < 2 * runs + 1; ++r)); do
  rm -rf "$tmp/pub"; cp -r "$tmp/publ" "$tmp/pub"
  # The copy (~350 MB with the index at 1 M transactions) is written back
  # first: the kernel's write-back of it would otherwise run during the
  # publish, and not during the raw client's run.
  sync
  # The publisher's log through a FIFO, read with blocking reads until its
  # "caught up" line: polling a log file (a grep and a sleep 20 times a
  # second) would take CPU from it and nats-server while it publishes, and
  # not from the raw client, which the script simply waits for.
  rm -f "$tmp/pub.fifo"; mkfifo "$tmp/pub.fifo"
  "$bin" serve --data "$tmp/pub" --listen 127.0.0.1:0 --backend cpu --publish "$nats" --nats-stream "PUB$r" \
    --nats-subject "pub$r.blocks" --max-block-bytes 1000000 >"$tmp/pub.out" 2>"$tmp/pub.fifo" &
  echo $! >"$tmp/pub.pid"
  timeout 600 sed '/publish: caught up/q' <"$tmp/pub.fifo" >"$tmp/pub.err" || true
  line=$(grep 'publish: caught up' "$tmp/pub.err" | head -1)
  [[ -n $line ]] || { echo "bench-downstream: serve --publish did not catch up:" >&2; cat "$tmp/pub.err" >&2; exit 1; }
  echo "bench-downstream:   serve --publish: ${line#*publish: }"
  pub_rates+=($(sed -n 's/.* s (\([0-9]*\) blocks\/s.*/\1/p' <<<"$line"))
  pub_s+=($(sed -n 's/.* in \([0-9.]*\) s (.*/\1/p' <<<"$line"))
  kill -TERM "$(cat "$tmp/pub.pid")"; wait "$(cat "$tmp/pub.pid")" 2>/dev/null || true
  drop_stream "PUB$r"
  sync  # what the server wrote at its close (the id filter) is not the raw client's to write back
  out=$("$build/bench/nats_publish" "$nats" "RAWS$r" "$pblocks" "$pavg"); echo "bench-downstream:   $out"
  sync_rates+=($(sed -n 's/.*: \([0-9]*\) msg\/s.*/\1/p' <<<"$out"))
  drop_stream "RAWS$r"
  out=$("$build/bench/nats_publish" "$nats" "RAWA$r" "$pblocks" "$pavg" 64); echo "bench-downstream:   $out"
  async_rates+=($(sed -n 's/.*: \([0-9]*\) msg\/s.*/\1/p' <<<"$out"))
  async_s+=($(sed -n 's/.* in \([0-9.]*\) s: .*/\1/p' <<<"$out"))
  drop_stream "RAWA$r"
done
mp=$(median "${pub_rates[@]}"); ms=$(median "${sync_rates[@]}"); ma=$(median "${async_rates[@]}")
echo "bench-downstream: serve --publish ${pub_rates[*]} blocks/s (median $mp); raw window 64: ${async_rates[*]} (median $ma): $(python3 -c "print(f'{$mp/$ma:.2f}')"); raw synchronous: ${sync_rates[*]} (median $ms): $(python3 -c "print(f'{$mp/$ms:.2f}')")"
# Over all runs together: the raw client's total time over the publisher's.
tp=$(printf '%s\n' "${pub_s[@]}" | awk '{t += $1} END {printf "%.3f", t}')
ta=$(printf '%s\n' "${async_s[@]}" | awk '{t += $1} END {printf "%.3f", t}')
echo "bench-downstream: publish, all runs: serve --publish $tp s, raw window 64 $ta s: $(awk -v a="$ta" -v p="$tp" 'BEGIN {printf "%.2f", a / p}') of raw"

# End-to-end latency under load: a leader that publishes, a follower over
# http:// and one over nats://, loadgen on the leader. Each follower keeps
# the quantiles of (leader's block timestamp -> durable here) over the blocks
# it committed once caught up.
rm -rf "$tmp/lead2"; cp -r "$tmp/leader" "$tmp/lead2"
lead2=$(serve "$tmp/lead2" --max-block-txs 100 --publish "$nats" --nats-stream LAT --nats-subject lat.blocks --max-block-bytes 1000000)
fh=$(serve "$tmp/lat-http" --follow "$lead2")
fn=$(serve "$tmp/lat-nats" --follow "$nats" --nats-stream LAT --nats-subject lat.blocks)
wait_height "$fh" "$tip" "$tmp/lat-http"
wait_height "$fn" "$tip" "$tmp/lat-nats"
# quantiles FOLLOWER_URL NAME: the follower's seal-to-commit line
quantiles() {
  curl -s "$1/v1/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)["follower"]["seal_to_commit_ms"]
n, p50, p99 = s["samples"], s["p50"], s["p99"]
print(f"bench-downstream:   leader seal -> follower durable via {sys.argv[1]}: {n} blocks, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
' "$2"
}
# Two loads: a light one (one connection waiting for each commit: the
# pipeline's own latency) and a saturating one (8 connections: three
# verifiers on two cores, so the followers fall behind and the figure is
# their backlog). The followers restart between the two (they resume from
# their tips) so that each phase's quantiles are its own.
lat_count=$((count * 2 < 60000 ? count * 2 : 60000))
for phase in light heavy; do
  if [[ $phase == light ]]; then n=$((lat_count / 6)); args=(--connections 1 --batch 100 --seed 98)
  else n=$lat_count; args=(--seed 99)
    for d in lat-http lat-nats; do kill -TERM "$(cat "$tmp/$d.pid")"; done
    # Until both have let go of their ledgers (a drain can outlast a second).
    for d in lat-http lat-nats; do
      for _ in $(seq 1 600); do kill -0 "$(cat "$tmp/$d.pid")" 2>/dev/null || break; sleep 0.05; done
    done
    fh=$(serve "$tmp/lat-http" --follow "$lead2")
    fn=$(serve "$tmp/lat-nats" --follow "$nats" --nats-stream LAT --nats-subject lat.blocks)
    for d in lat-http lat-nats; do
      for _ in $(seq 1 1500); do grep -q 'caught up' "$tmp/$d.err" && break; sleep 0.02; done
    done
  fi
  echo "bench-downstream: latency, $phase load ($n ed25519 transactions, ${args[*]}); load $(cut -d' ' -f1-3 /proc/loadavg)"
  if ! "$bin" loadgen --url "$lead2" --scheme ed25519 --transactions "$n" --binary "${args[@]}" >"$tmp/load-$phase.out" 2>&1; then
    echo "bench-downstream: the loadgen failed:" >&2; tail -5 "$tmp/load-$phase.out" >&2; exit 1
  fi
  grep -h 'tx/s\|p50' "$tmp/load-$phase.out" | sed 's/^/bench-downstream:   /' | head -2
  tip2=$(height "$lead2")
  wait_height "$fh" "$tip2" "$tmp/lat-http"
  wait_height "$fn" "$tip2" "$tmp/lat-nats"
  quantiles "$fh" http
  quantiles "$fn" nats
done
echo "bench-downstream: done; load $(cut -d' ' -f1-3 /proc/loadavg)"
