#!/usr/bin/env bash
# Downstream benchmarks on one machine (docs/PERFORMANCE.md, "Downstream"):
#  1. follower catch-up: a leader holds COUNT ed25519 transactions; an empty
#     follower (--follow http://leader, then nats://) catches up, timed from
#     its start to its tip = the leader's; compared with `blockgate verify`
#     on the very same transactions (extracted from the leader's blocks) in
#     the same run;
#  2. publish: a fresh JetStream stream filled by serve --publish from the
#     same ledger, against bench/nats_publish (raw synchronous publishes of
#     messages of the average block size);
#  3. end-to-end latency leader commit -> follower commit under load.
# Usage: scripts/bench-downstream.sh [BUILD_DIR] [COUNT] [RUNS]   (defaults: build 20000 3)
set -euo pipefail
build=${1:-build}
count=${2:-20000}
runs=${3:-3}
bin=$build/blockgate
for b in "$bin" "$build/bench/nats_publish"; do
  [[ -x $b ]] || { echo "bench-downstream: $b is missing (cmake --build $build --target blockgate nats_publish)" >&2; exit 1; }
done
tmp=$(mktemp -d)
cleanup() { for p in "$tmp"/*.pid; do [[ -f $p ]] && kill -9 "$(cat "$p")" 2>/dev/null; done; rm -rf "$tmp"; }
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
# Publish the leader's ledger (a copy, with --publish) once, timed.
cp -r "$tmp/leader" "$tmp/pub"
pub=$(serve "$tmp/pub" --publish "$nats" --max-block-bytes 1000000)
# The publisher's own measure: its "caught up" log line (first publish to the
# last block of the backlog), free of this script's polling.
for _ in $(seq 1 30000); do grep -q 'publish: caught up' "$tmp/pub.err" && break; sleep 0.02; done
pub_line=$(grep 'publish: caught up' "$tmp/pub.err" | head -1)
blocks=$((tip + 1))
seg_bytes=$(cat "$tmp/leader"/segment-*.log | wc -c)
avg=$((seg_bytes / blocks))

for ((r = 0; r < runs; ++r)); do
  t0=$(now)
  /usr/bin/time -f '%U %S' -o "$tmp/verify.time" "$bin" verify --backend cpu --input "$tmp/txs.jsonl" >/dev/null 2>&1
  t1=$(now)
  verify_rates+=($(python3 -c "print(round($count / ($t1 - $t0)))"))
  verify_cpu+=($(awk '{printf "%.3f", $1 + $2}' "$tmp/verify.time"))
  for src in http nats; do
    dir=$tmp/follower-$src-$r
    up=$leader; [[ $src == nats ]] && up=$nats
    t0=$(now)
    f=$(serve "$dir" --follow "$up")
    wait_height "$f" "$tip" "$dir"
    t1=$(now)
    # The follower's own measure: start of following to the commit of the
    # upstream's tip (its "caught up" log line), free of this script's polling.
    for _ in $(seq 1 500); do grep -q 'caught up' "$dir.err" && break; sleep 0.02; done
    rate=$(sed -n 's/.*caught up with height .* (\([0-9]*\) tx\/s).*/\1/p' "$dir.err" | head -1)
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
echo "bench-downstream: serve --publish: ${pub_line#*publish: }"
"$build/bench/nats_publish" "$nats" RAWBENCH "$blocks" "$avg"

# End-to-end latency under load: leader commit -> follower commit.
f=$(serve "$tmp/follower-lat" --follow "$leader")
wait_height "$f" "$tip" "$tmp/follower-lat"
"$bin" loadgen --url "$leader" --scheme ed25519 --transactions $((count * 5)) --seed 99 --binary >"$tmp/load2.out" 2>&1 &
load=$!
python3 - "$leader" "$f" <<'PY'
import json, sys, time, urllib.request
leader, follower = sys.argv[1], sys.argv[2]
def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)
lat = []
last = get(leader + "/v1/status")["height"]
deadline = time.time() + 10
while time.time() < deadline and len(lat) < 200:
    h = get(leader + "/v1/status")["height"]
    if h > last:
        t0 = time.time()
        while get(follower + "/v1/status")["height"] < h:
            time.sleep(0.001)
        lat.append((time.time() - t0) * 1000)
        last = h
    time.sleep(0.002)
lat.sort()
if lat:
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"bench-downstream: leader commit seen -> follower commit: {len(lat)} blocks, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms")
PY
if ! wait "$load"; then
  echo "bench-downstream: the background loadgen failed:" >&2
  tail -5 "$tmp/load2.out" >&2
fi
