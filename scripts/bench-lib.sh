# Shared by the bench-*.sh scripts (sourced, not run): a scratch directory
# removed on exit, a header naming the machine, and a `blockgate serve` on a
# free loopback port.
#   bench_init PREFIX          sets $work (mktemp dir) and the EXIT trap
#   bench_header               prints date, cores, CPU model, load average
#   bench_serve BIN ARGS...    starts BIN serve --data $work/data --listen
#                              127.0.0.1:0 ARGS..., sets $server_pid and $url
#                              (exits 1 with the server's log if it never
#                              says where it listens)

server_pid=
bench_cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}

bench_init() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1-XXXXXX")
  trap bench_cleanup EXIT
}

bench_header() {
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_serve() {
  local bin=$1; shift
  "$bin" serve --data "$work/data" --listen 127.0.0.1:0 "$@" >"$work/serve.log" 2>&1 &
  server_pid=$!
  url=
  for _ in $(seq 100); do
    url=$(grep -so 'http://[0-9.:]*' "$work/serve.log" | head -1 || true)
    [[ -n "$url" ]] && break
    sleep 0.1
  done
  [[ -n "$url" ]] || { echo "server did not start:"; cat "$work/serve.log"; exit 1; }
}
