#!/usr/bin/env bash
#
# Many-tenants benchmark: TENANTS managed tenants (each its own on-demand php-fpm pool) under a
# skewed load, then a check that every pool went away again and nothing leaked.
#
#   bench/many-tenants.sh                                # 200 tenants, 120 s at 1000 req/s, idle 2 s
#   RATE=0 bench/many-tenants.sh                         # unpaced: as fast as the gateway answers
#   TENANTS=50 DURATION=20 bench/many-tenants.sh         # a short run
#   IDLE=5 bench/many-tenants.sh                         # idle_timeout_s of every tenant
#   RAMP=0 bench/many-tenants.sh                         # measure from the first request (default 15 s ramp)
#   WRK_TIMEOUT=2s bench/many-tenants.sh                 # wrk's per-request timeout (default 10s)
#   KEEP_TMP=1 bench/many-tenants.sh                     # keep the temp dir (configs, logs, samples)
#
# Tenants t1..tN: domains ["t<N>.test"], one shared world-readable docroot with hello.php,
#   php: { max_children: 2, idle_timeout_s: IDLE }, no `backend` (the gateway runs the pools).
# Load: wrk -t2 -c32 -d<DURATION>s --latency --timeout <WRK_TIMEOUT> with a Lua script that picks
#   each request's Host from a Zipf distribution over the tenants (s = 1.1, rank k has weight
#   1/k^s; cumulative weights precomputed in init, picked with math.random and a binary search).
#   The Lua script also counts responses whose body is not "hello world".
# Pacing: RATE requests per second in all (default 1000): each wrk thread hands out send slots
#   RATE/threads apart (wrk's delay() hook, with a monotonic clock through LuaJIT's ffi). Paced,
#   the churn depends on the load, not on how fast the machine is: a tenant of rate r idles out
#   between two requests with probability e^(-r*IDLE), so 1000 req/s over 200 tenants, idle 2 s,
#   should give about 17 pool starts per second. Unpaced (RATE=0), a fast machine keeps every pool
#   warm and a slow one keeps restarting them: two stable regimes, each self-sustaining, since
#   slow starts lower the rate each tenant sees, which makes more of them idle out.
# Ramp: the same load for RAMP (15) seconds before the measured DURATION, not measured: from
#   cold, every tenant's first request starts a pool at once (~200 starts in the first seconds,
#   each then takes ~350 ms on 2 cores), which is a start-up storm, not the steady churn. The
#   leak baseline is taken before the ramp; masters and memory are sampled from its start.
# Pool starts: the gateway's "RUNNING (pid ..) after N ms" lines of the measured phase give the
#   count and the p50/p99 of the start time (spawn to first answered ping).
# Before the load: one request to t1 and its idle stop (loads the gateway's classes, so the fd
#   baseline is not the count of a JVM that has never served a request); then the baseline:
#   php-fpm masters running a config under the run dir, run/pools/*/php.sock files, gateway fds.
# During the load, every second: the gateway's VmRSS and the total VmRSS of all php-fpm processes
#   (masters under the run dir and their workers); peaks are printed.
# After the load: wait IDLE+5 s, then the same counts: zero masters, no socket but those of staged
#   next runs (docs/ARCHITECTURE.md, "Staged pools"; one each, counted by their waiting shells),
#   gateway fds within +10 of the baseline beyond the three descriptors of each staged run. Then
#   (informational, not in the verdict) up to SETTLE_MAX (30) more seconds for the masters to go,
#   and the counts at that point.
#
# PASS: zero failed requests (non-2xx/3xx + socket errors + wrong bodies) and nothing leaked.
# Exit status: 0 PASS, 2 FAIL, 1 the setup failed. Every process started here is stopped on exit.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STOP_GROUP_TENTHS=200
BENCH_TAG="many-tenants"
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
TENANTS="${TENANTS:-200}"
IDLE="${IDLE:-2}"
DURATION="${DURATION:-120}"
RATE="${RATE:-1000}"
RAMP="${RAMP:-15}"
WRK_TIMEOUT="${WRK_TIMEOUT:-10s}"
KEEP_TMP="${KEEP_TMP:-0}"
# after the verdict's IDLE+5 s check: wait up to SETTLE_MAX more seconds for the masters to go and
# print the counts then (informational: tells a slow stop from a leak)
SETTLE_MAX="${SETTLE_MAX:-30}"
MAX_CHILDREN=2
THREADS=2
CONNECTIONS=32
ZIPF_S=1.1
FD_SLACK=10

TMP=""
PGIDS=()


# ---------------------------------------------------------------- process management


# pids of php-fpm masters running a config under this run's run dir
master_pids() {
  [[ -n "$TMP" ]] || return 0
  pgrep -f -- "master process .$TMP/run/pools/" 2>/dev/null || true
}

# masters that outlived the gateway (by pid; only those running this run's configs)
stop_leftover_masters() {
  stop_pids_of master_pids 2
}
install_cleanup "stop_leftover_masters" "configs, logs, samples, wrk output"

# ---------------------------------------------------------------- prerequisites

ensure_tools() {
  local missing=()
  [[ -n "$(find_php_fpm)" ]] || missing+=(php-fpm)
  mapfile -t -O "${#missing[@]}" missing < <(missing_commands wrk=wrk curl=curl python3=python3 setsid=util-linux pgrep=procps bwrap=bubblewrap s6-ipcserver-socketbinder=s6 /usr/lib/execline/bin/fdmove=execline)
  install_missing "${missing[@]+"${missing[@]}"}"
}

# ---------------------------------------------------------------- gateway

write_tenants() {
  local n
  {
    echo "tenants:"
    for (( n = 1; n <= TENANTS; n++ )); do
      printf '  - { id: t%d, domains: ["t%d.test"], docroot: "%s", php: { max_children: %d, idle_timeout_s: %d } }\n' \
        "$n" "$n" "$TMP/public" "$MAX_CHILDREN" "$IDLE"
    done
  } >"$TMP/tenants.yaml"
}

start_gateway() {
  mkdir -p "$TMP/run"
  write_tenants
  start_gateway_bg "$PORT_HTTP" "$PORT_ADMIN"
  GATEWAY_PGID=$GATEWAY_PID
  # setsid, env and bin/gateway exec in turn: the pid started is the JVM's; check it
  GATEWAY_PID="$GATEWAY_PGID"
  if [[ "$(cat "/proc/$GATEWAY_PID/comm" 2>/dev/null)" != java ]]; then
    GATEWAY_PID="$(pgrep -g "$GATEWAY_PGID" -x java | head -n 1)"
    [[ -n "$GATEWAY_PID" ]] || die "cannot find the gateway's JVM"
  fi
  log "gateway listening (jvm pid $GATEWAY_PID, port $PORT_HTTP, log $TMP/gateway.log)"
}

count_masters() { master_pids | wc -l; }
count_sockets() { compgen -G "$TMP/run/pools/*/php.sock" | wc -l || true; }
count_fds() { ls "/proc/$GATEWAY_PID/fd" 2>/dev/null | wc -l || true; }
# staged next runs (docs/ARCHITECTURE.md, "Staged pools"): the shell each waits in; each holds its
# pool's socket, and the gateway holds the three descriptors the JDK keeps for a live child process
count_staged() { pgrep -f -- "^/bin/sh -c echo tenant-gateway-staged-ready && read -r go .*$TMP/run/pools/" 2>/dev/null | wc -l || true; }

# Waits (at most $1 s) until no master runs.
wait_no_masters() {
  local deadline=$(( SECONDS + $1 ))
  while [[ -n "$(master_pids)" ]] && (( SECONDS < deadline )); do sleep 0.2; done
}

# ---------------------------------------------------------------- load

write_lua() {
  cat >"$TMP/zipf.lua" <<EOF
-- Host header per request from a Zipf distribution over t1..t$TENANTS (s = $ZIPF_S)
local n, s = $TENANTS, $ZIPF_S
local cum, total = {}, 0
local threads, counter = {}, 0
bad = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  for k = 1, n do
    total = total + 1 / (k ^ s)
    cum[k] = total
  end
  wrk.path = "/hello.php"
end

-- pacing: this thread's share of $RATE req/s, one send slot every interval ms (0: unpaced)
local interval = $RATE > 0 and $THREADS * 1000 / $RATE or 0
local next_slot = 0
local now_ms
if interval > 0 then
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } tg_timespec;
    int clock_gettime(int clock, tg_timespec *ts);
  ]]
  local ts = ffi.new("tg_timespec")
  now_ms = function()
    ffi.C.clock_gettime(1, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  function delay()
    local now = now_ms()
    if next_slot < now then next_slot = now end
    local wait = next_slot - now
    next_slot = next_slot + interval
    return math.floor(wait)
  end
end

function request()
  local r = math.random() * total
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cum[mid] < r then lo = mid + 1 else hi = mid end
  end
  wrk.headers["Host"] = "t" .. lo .. ".test"
  return wrk.format("GET", "/hello.php")
end

function response(status, headers, body)
  if status == 200 and body ~= "hello world\n" then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do
    b = b + (t:get("bad") or 0)
  end
  io.write(string.format("Bad bodies: %d\n", b))
end
EOF
}

write_sampler() {
  cat >"$TMP/sampler.py" <<'PY'
# Every second: gateway VmRSS and the summed VmRSS of php-fpm masters running a config under the
# run dir plus their descendants; every fifth second also their summed Pss, which counts shared
# pages once (reading smaps_rollup of hundreds of processes every second took ~8% of the CPU).
# Appends "<epoch> <gateway kB> <php-fpm RSS kB> <masters> <php-fpm PSS kB>" lines.
import os, sys, time
gw, run_dir, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
marker = ("master process (" + run_dir + "/pools/").encode()

def field_kb(path, name):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def rss_kb(pid):
    return field_kb("/proc/%d/status" % pid, "VmRSS:")

def pss_kb(pid):
    return field_kb("/proc/%d/smaps_rollup" % pid, "Pss:")

tick = 0
while True:
    t = time.time()
    tick += 1
    parent, masters = {}, []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                stat = f.read()
            parent[pid] = int(stat[stat.rindex(b")") + 2:].split()[1])
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if marker in f.read():
                    masters.append(pid)
        except (OSError, ValueError):
            continue
    family = set(masters)
    for pid, ppid in parent.items():
        if ppid in family or parent.get(ppid) in family:
            family.add(pid)
    fpm = sum(rss_kb(p) for p in family)
    fpm_pss = sum(pss_kb(p) for p in family) if tick % 5 == 1 else 0
    with open(out, "a") as f:
        f.write("%d %d %d %d %d\n" % (t, rss_kb(gw), fpm, len(masters), fpm_pss))
    time.sleep(max(0.0, 1.0 - (time.time() - t)))
PY
}

pace() {
  if [[ "$RATE" == 0 ]]; then echo "unpaced"; else echo "paced at $RATE req/s"; fi
}

to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.2f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    else printf "nan" }'
}

# ---------------------------------------------------------------- main

main() {
  ensure_tools
  prepare_gateway
  (( TENANTS >= 1 )) || die "TENANTS must be >= 1"

  TMP="$(mktemp -d "${TMPDIR:-/tmp}/many-tenants.XXXXXX")"
  chmod 755 "$TMP"   # pool workers run as tg-<id> and must reach the docroot
  mkdir -p "$TMP/public"
  chmod 755 "$TMP/public"
  printf '%s\n' '<?php echo "hello world\n";' >"$TMP/public/hello.php"
  chmod 644 "$TMP/public/hello.php"
  log "temp dir $TMP"

  read -r PORT_HTTP PORT_ADMIN <<<"$(free_ports 2)"
  start_gateway
  write_lua
  write_sampler

  # warm-up: one activation of t1 and its idle stop
  local code
  code="$(curl -s -m 30 -o /dev/null -w '%{http_code}' -H 'Host: t1.test' "http://127.0.0.1:$PORT_HTTP/hello.php" || true)"
  [[ "$code" == 200 ]] || { tail -n 30 "$TMP/gateway.log" >&2; die "warm-up request to t1 answered $code"; }
  wait_no_masters $(( IDLE + 30 ))
  sleep 1
  local pre_m pre_s pre_fd
  pre_m="$(count_masters)"; pre_s="$(count_sockets)"; pre_fd="$(count_fds)"
  log "before: masters $pre_m, sockets $pre_s, gateway fds $pre_fd"

  start_bg "$TMP/sampler.out" python3 "$TMP/sampler.py" "$GATEWAY_PID" "$TMP/run" "$TMP/samples.txt"
  local sampler=$STARTED_PID
  if (( RAMP > 0 )); then
    log "ramp: the same load for ${RAMP} s, not measured"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${RAMP}s" --timeout "$WRK_TIMEOUT" \
      -s "$TMP/zipf.lua" "http://127.0.0.1:$PORT_HTTP/" >"$TMP/wrk-ramp.txt" 2>&1 \
      || { cat "$TMP/wrk-ramp.txt" >&2; die "wrk failed during the ramp"; }
  fi
  local measured_from
  measured_from="$(grep -c '' "$TMP/gateway.log" || true)"
  log "load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency --timeout $WRK_TIMEOUT, Zipf s=$ZIPF_S over $TENANTS tenants, $(pace)"
  local wrk_rc=0
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout "$WRK_TIMEOUT" \
    -s "$TMP/zipf.lua" "http://127.0.0.1:$PORT_HTTP/" >"$TMP/wrk.txt" 2>&1 || wrk_rc=$?
  stop_and_forget "$sampler"
  (( wrk_rc == 0 )) || { cat "$TMP/wrk.txt" >&2; die "wrk failed (rc $wrk_rc)"; }
  kill -0 "$GATEWAY_PID" 2>/dev/null || { tail -n 30 "$TMP/gateway.log" >&2; die "the gateway died during the load"; }
  local acts start_p50 start_p99
  tail -n +"$(( measured_from + 1 ))" "$TMP/gateway.log" | grep -a 'RUNNING (pid' \
    | awk '{ print $(NF - 1) }' | sort -n >"$TMP/start-ms.txt" || true
  acts="$(wc -l <"$TMP/start-ms.txt")"
  read -r start_p50 start_p99 <<<"$(awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- -"; exit }
    i50 = int(NR * 0.5 + 0.999); i99 = int(NR * 0.99 + 0.999); print v[i50], v[i99] }' "$TMP/start-ms.txt")"
  local masters_end
  masters_end="$(tail -n 1 "$TMP/samples.txt" | awk '{ print $4 }')"

  log "load done; waiting $(( IDLE + 5 )) s for the pools to go idle"
  sleep $(( IDLE + 5 ))
  local post_m post_s post_fd post_staged
  post_m="$(count_masters)"; post_s="$(count_sockets)"; post_fd="$(count_fds)"; post_staged="$(count_staged)"

  # informational: how long until the pools are really gone, and what is left then
  local settle_start=$SECONDS settle_m settle_s settle_fd settle_t
  while [[ -n "$(master_pids)" ]] && (( SECONDS - settle_start < SETTLE_MAX )); do sleep 0.5; done
  sleep 1
  settle_t=$(( SECONDS - settle_start + IDLE + 5 ))
  settle_m="$(count_masters)"; settle_s="$(count_sockets)"; settle_fd="$(count_fds)"

  local reqs non2xx sock bad fails rps p50 p99 peak_gw peak_fpm peak_masters
  reqs="$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$TMP/wrk.txt")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ { n += $NF } END { print n + 0 }' "$TMP/wrk.txt")"
  sock="$(awk '/Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { sub(/,/, "", $i); n += $i } } END { print n + 0 }' "$TMP/wrk.txt")"
  bad="$(awk '/^Bad bodies:/ { print $3 }' "$TMP/wrk.txt")"
  fails=$(( non2xx + sock + ${bad:-0} ))
  rps="$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.txt")"
  p50="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.txt")")"
  p99="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.txt")")"
  local peak_pss
  read -r peak_gw peak_fpm peak_masters peak_pss <<<"$(awk '{ if ($2 > g) g = $2; if ($3 > f) f = $3; if ($4 > m) m = $4; if ($5 > p) p = $5 }
    END { printf "%.1f %.1f %d %.1f\n", g / 1024, f / 1024, m, p / 1024 }' "$TMP/samples.txt")"

  local leak_fd=$(( post_fd - pre_fd - 3 * post_staged ))
  local leak_s=$(( post_s - post_staged ))
  local verdict=0 why=()
  (( fails == 0 )) || { verdict=2; why+=("$fails failed requests"); }
  (( post_m == 0 )) || { verdict=2; why+=("$post_m masters still running"); }
  (( leak_s <= 0 )) || { verdict=2; why+=("$leak_s sockets left beyond the staged runs'"); }
  (( leak_fd <= FD_SLACK )) || { verdict=2; why+=("gateway fds +$leak_fd"); }
  [[ "${reqs:-0}" != 0 ]] || { verdict=2; why+=("no requests completed"); }

  echo
  echo "== machine"
  echo "nproc:  $(nproc)"
  echo "cpu:    $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "kernel: $(uname -r)"
  echo "php:    $("$(find_php_fpm)" -v | head -n 1)"
  echo "setup:  $TENANTS managed tenants, max_children $MAX_CHILDREN, idle_timeout_s $IDLE, pm = static (conf/php-fpm-pool.conf)"
  echo "load:   wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency --timeout $WRK_TIMEOUT, Host ~ Zipf(s=$ZIPF_S), $(pace), after a ${RAMP} s ramp"
  echo
  echo "== load"
  printf '%-34s %s\n' "requests" "$reqs"
  printf '%-34s %s (non-2xx %s, socket errors %s, bad bodies %s)\n' "failures" "$fails" "$non2xx" "$sock" "${bad:-?}"
  [[ -z "$(grep 'Socket errors:' "$TMP/wrk.txt")" ]] \
    || printf '%-34s %s\n' "  wrk:" "$(grep 'Socket errors:' "$TMP/wrk.txt" | sed 's/^ *//')"
  printf '%-34s %s\n' "req/s" "$rps"
  printf '%-34s %s / %s\n' "latency p50 / p99 (ms)" "$p50" "$p99"
  printf '%-34s %s (%s/s)\n' "activations (pool starts)" "$acts" "$(awk -v a="$acts" -v d="$DURATION" 'BEGIN { printf "%.1f", a / d }')"
  printf '%-34s %s / %s\n' "pool start p50 / p99 (ms)" "$start_p50" "$start_p99"
  printf '%-34s %s (at end of load: %s)\n' "peak concurrent masters" "$peak_masters" "${masters_end:-?}"
  printf '%-34s %s MiB\n' "peak gateway RSS" "$peak_gw"
  printf '%-34s %s MiB (summed PSS: %s MiB)\n' "peak php-fpm RSS (all pools)" "$peak_fpm" "$peak_pss"
  echo
  echo "== leaks (before load -> $(( IDLE + 5 )) s after it)"
  printf '%-34s %s -> %s\n' "php-fpm masters" "$pre_m" "$post_m"
  printf '%-34s %s\n' "staged next runs (not leaks)" "$post_staged"
  printf '%-34s %s -> %s (%s of staged runs)\n' "pool sockets" "$pre_s" "$post_s" "$post_staged"
  printf '%-34s %s -> %s (%+d beyond 3 per staged run, allowed +%d)\n' "gateway open fds" "$pre_fd" "$post_fd" \
    "$leak_fd" "$FD_SLACK"
  printf '%-34s masters %s, sockets %s, gateway fds %s (%+d)\n' \
    "(info) ${settle_t} s after the load" "$settle_m" "$settle_s" "$settle_fd" "$(( settle_fd - pre_fd ))"
  printf '%-34s %s masters, %s sockets, %s fds\n' "leaked" "$(( post_m > 0 ? post_m : 0 ))" \
    "$(( leak_s > 0 ? leak_s : 0 ))" "$(( leak_fd > FD_SLACK ? leak_fd : 0 ))"
  echo
  if (( verdict == 0 )); then echo "RESULT: PASS"; else echo "RESULT: FAIL (${why[*]})"; fi
  return "$verdict"
}

main "$@"
