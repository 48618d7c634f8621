#!/usr/bin/env bash
#
# Cold-start benchmark: latency of the first request to an idle tenant (the gateway starts the
# tenant's php-fpm pool on demand) beside the time php-fpm ALONE takes from spawn to its first
# FastCGI response, both measured in the same run, the same number of times, interleaved.
#
#   bench/cold-start.sh                  # 30 activations per side
#   ACTIVATIONS=50 bench/cold-start.sh   # more
#   KEEP_TMP=1 bench/cold-start.sh       # keep the temp dir (configs, logs, raw timings)
#
# Gateway side: one managed tenant "cold" (no `backend`), max_children 2, idle_timeout_s 1. Each
#   activation waits until the gateway has stopped the pool (no master running the pool's config,
#   "pool cold STOPPED" logged; a pid file php-fpm left behind is counted, not waited for), then times one `curl -H 'Host: cold.test' /hello.php` (time_total; must be
#   200 with body "hello world", anything else counts as a failure).
# Bare side: the php-fpm.conf the gateway rendered for the tenant, copied with its own socket, pid
#   and log paths. Each activation (timed inside python3): t0, spawn
#   `php-fpm --nodaemonize --fpm-config <copy>` (as root through
#   `setpriv --reuid=<tg-cold> --regid=<gid> --init-groups`, as the gateway does), connect to the
#   socket every 2 ms until it accepts, send one FastCGI request for hello.php, read until
#   END_REQUEST, t1; then SIGQUIT the master and wait for it.
# One untimed warm-up activation per side comes first; its figures are printed apart. Then the
#   gateway's request path is warmed by JIT_WARMUP (15) s of wrk to a second tenant, busy (half on
#   kept connections, half on a new connection per request), as in a gateway that serves traffic
#   (JIT_WARMUP=0: none; the request path then runs interpreted, a few ms per request here). A pool that was stopped is staged for its next start (docs/ARCHITECTURE.md,
#   "Staged pools"): every activation but the first is of a staged run.
#
# Criteria (issue 12): p50_gateway / p50_bare <= 1.1, p99_gateway / p99_bare <= 1.5, no failed
#   activation. As root the pools run with namespaces (the default isolation). Printed beside the p50
#   ratio: the range it takes over bootstrap resamples of the same timings (5th-95th percentile),
#   i.e. how far it moves by chance alone with this many activations on this machine.
# Exit status: 0 PASS, 2 FAIL, 1 the setup failed. Every process started here is stopped on exit.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STOP_GROUP_TENTHS=150
BENCH_TAG="cold-start"
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
ACTIVATIONS="${ACTIVATIONS:-30}"
JIT_WARMUP="${JIT_WARMUP:-15}"
KEEP_TMP="${KEEP_TMP:-0}"
TENANT=cold
HOST_HEADER="cold.test"
IDLE_S=1
MAX_CHILDREN=2
STOP_WAIT_S=30
STALE_PIDFILES=0
STOPS_SEEN=0

TMP=""
PGIDS=()


# ---------------------------------------------------------------- process management


# pids of the processes whose command line names a path under the temp dir (php-fpm masters and
# workers of the gateway's pool and of the bare copy)
tmp_pids() {
  [[ -n "$TMP" ]] || return 0
  pgrep -f -- "$TMP/" 2>/dev/null | grep -vx "$$" || true
}

# php-fpm masters that outlived their starter (by pid; only those running our temp-dir configs)
stop_leftover_masters() {
  stop_pids_of tmp_pids 1
}
install_cleanup "stop_leftover_masters" "configs, logs, raw timings"

# ---------------------------------------------------------------- prerequisites

ensure_tools() {
  local missing=()
  [[ -n "$(find_php_fpm)" ]] || missing+=(php-fpm)
  mapfile -t -O "${#missing[@]}" missing < <(missing_commands curl=curl wrk=wrk python3=python3 setsid=util-linux setpriv=util-linux pgrep=procps bwrap=bubblewrap s6-ipcserver-socketbinder=s6 /usr/lib/execline/bin/fdmove=execline)
  install_missing "${missing[@]+"${missing[@]}"}"
}

# ---------------------------------------------------------------- gateway

start_gateway() {
  cat >"$TMP/tenants.yaml" <<EOF
tenants:
  - id: $TENANT
    domains: ["$HOST_HEADER"]
    docroot: "$TMP/public"
    php: { max_children: $MAX_CHILDREN, idle_timeout_s: $IDLE_S }
  - id: busy
    domains: ["busy.test"]
    docroot: "$TMP/public"
    php: { max_children: 2, idle_timeout_s: 3600 }
EOF
  start_gateway_bg "$PORT_HTTP" "$PORT_ADMIN"
}

# A gateway that serves traffic has its request path compiled by the JIT; one that served nothing
# but these activations would run it in the interpreter (a few ms per request here). So first
# JIT_WARMUP seconds of hello.php to the neighbour tenant "busy", whose pool then idles meanwhile:
# half on kept connections, half with a new connection per request (as clients and a front proxy
# without upstream keep-alive open them; each activation below comes on a new connection too).
warm_request_path() {
  (( JIT_WARMUP > 0 )) || return 0
  local half=$(( (JIT_WARMUP + 1) / 2 )) kept fresh
  wrk -t1 -c2 -d"${half}s" -H "Host: busy.test" "http://127.0.0.1:$PORT_HTTP/hello.php" >"$TMP/warm-wrk.txt" 2>&1 \
    || die "warm-up of the request path failed: $(cat "$TMP/warm-wrk.txt")"
  kept="$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$TMP/warm-wrk.txt")"
  wrk -t1 -c2 -d"${half}s" -H "Host: busy.test" -H "Connection: close" "http://127.0.0.1:$PORT_HTTP/hello.php" \
    >"$TMP/warm-wrk.txt" 2>&1 || die "warm-up of the request path failed: $(cat "$TMP/warm-wrk.txt")"
  fresh="$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$TMP/warm-wrk.txt")"
  log "request path warmed: $kept requests on kept connections, $fresh on new ones, to tenant busy"
}

pool_master_pids() { pgrep -f -- "master process .$POOL_DIR/php-fpm.conf" 2>/dev/null || true; }

# Waits until the gateway has stopped the tenant's pool: no master running the pool's config and at
# least $1 "pool cold STOPPED" lines in the gateway log. (A pid file left behind is counted only:
# php-fpm leaves it, and its socket, when it is SIGKILLed.)
wait_pool_stopped() {
  local want="$1" deadline=$(( SECONDS + STOP_WAIT_S )) stopped
  while :; do
    stopped="$(grep -c "pool $TENANT STOPPED" "$TMP/gateway.log" || true)"
    if [[ -z "$(pool_master_pids)" ]] && (( stopped >= want )); then
      # the pid file stays behind when the gateway had to SIGKILL the master: counted, not waited for
      # (once per stop: this is called twice for the same stop in the loop)
      if (( stopped > STOPS_SEEN )); then
        STOPS_SEEN=$stopped
        [[ -e "$POOL_DIR/php-fpm.pid" ]] && STALE_PIDFILES=$(( STALE_PIDFILES + 1 ))
      fi
      return 0
    fi
    kill -0 "$GATEWAY_PID" 2>/dev/null || die "the gateway exited (log: $TMP/gateway.log)"
    (( SECONDS < deadline )) || die "pool $TENANT still running ${STOP_WAIT_S}s after its last request"
    sleep 0.02
  done
}

# One cold request through the gateway; prints "<http code> <ms> <body ok 0|1>".
gateway_activation() {
  local out code t ok=0
  out="$(curl -s -m 30 -o "$TMP/body.txt" -w '%{http_code} %{time_total}' -H "Host: $HOST_HEADER" \
    "http://127.0.0.1:$PORT_HTTP/hello.php" || true)"
  read -r code t <<<"$out"
  [[ "$(cat "$TMP/body.txt" 2>/dev/null)" == "hello world" ]] && ok=1
  rm -f "$TMP/body.txt"
  awk -v c="${code:-000}" -v t="${t:-0}" -v ok="$ok" 'BEGIN { printf "%s %.3f %d\n", c, t * 1000, ok }'
}

# ---------------------------------------------------------------- bare php-fpm

write_bare_client() {
  cat >"$TMP/bare_fpm.py" <<'PY'
# One bare php-fpm activation: spawn, poll the socket every 2 ms, one FastCGI request, stop.
# argv: sock script_filename cmd...   prints "<ok 0|1> <ms>" (ok: END_REQUEST and body "hello world")
import os, signal, socket, struct, subprocess, sys, time

sock_path, script = sys.argv[1], sys.argv[2]
cmd = sys.argv[3:]

def record(rtype, content, req_id=1):
    out = b""
    # records carry at most 65535 bytes
    for i in range(0, max(len(content), 1), 65535):
        chunk = content[i:i + 65535]
        out += struct.pack("!BBHHBx", 1, rtype, req_id, len(chunk), 0) + chunk
    if not content:
        out = struct.pack("!BBHHBx", 1, rtype, req_id, 0, 0)
    return out

def nv(name, value):
    n, v = name.encode(), value.encode()
    def ln(x):
        return struct.pack("!B", len(x)) if len(x) < 128 else struct.pack("!I", len(x) | 0x80000000)
    return ln(n) + ln(v) + n + v

params = b"".join(nv(k, v) for k, v in [
    ("SCRIPT_FILENAME", script), ("SCRIPT_NAME", "/" + os.path.basename(script)),
    ("REQUEST_METHOD", "GET"), ("QUERY_STRING", ""), ("SERVER_PROTOCOL", "HTTP/1.1"),
    ("GATEWAY_INTERFACE", "CGI/1.1"), ("REQUEST_URI", "/" + os.path.basename(script)),
])
request = (record(1, struct.pack("!HB5x", 1, 0))      # BEGIN_REQUEST, role RESPONDER, no keep-conn
           + record(4, params) + record(4, b"")        # PARAMS, empty PARAMS
           + record(5, b""))                           # empty STDIN

try:
    os.unlink(sock_path)
except FileNotFoundError:
    pass

t0 = time.perf_counter()
proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
ok = 0
try:
    deadline = t0 + 20
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(sock_path)
            break
        except OSError:
            s.close()
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit("php-fpm exited or never listened (rc %s)" % proc.poll())
            time.sleep(0.002)
    s.settimeout(20)
    s.sendall(request)
    buf, stdout, ended = b"", b"", False
    while not ended:
        data = s.recv(65536)
        if not data:
            break
        buf += data
        while len(buf) >= 8:
            _, rtype, _, clen, plen = struct.unpack("!BBHHBx", buf[:8])
            if len(buf) < 8 + clen + plen:
                break
            content = buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype == 6:
                stdout += content
            elif rtype == 3:
                ended = True
                break
    t1 = time.perf_counter()
    s.close()
    body = stdout.split(b"\r\n\r\n", 1)[-1]
    ok = 1 if ended and body.strip() == b"hello world" else 0
    print("%d %.3f" % (ok, (t1 - t0) * 1000))
finally:
    if proc.poll() is None:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
PY
}

prepare_bare() {
  mkdir -p "$TMP/bare"
  [[ -f "$POOL_DIR/php-fpm.conf" ]] || die "no rendered config at $POOL_DIR/php-fpm.conf"
  # same config, own socket/pid/logs (open_basedir, tmp dir, limits: unchanged)
  sed -E "s#$POOL_DIR/(php-fpm\.pid|error\.log|php\.sock|slow\.log|php-error\.log)#$TMP/bare/\1#g" \
    "$POOL_DIR/php-fpm.conf" >"$TMP/bare/php-fpm.conf"
  BARE_SOCK="$TMP/bare/php.sock"
  grep -q "^listen = $BARE_SOCK\$" "$TMP/bare/php-fpm.conf" || die "socket not rewritten in the copy"
  BARE_CMD=("$PHP_FPM" --nodaemonize --fpm-config "$TMP/bare/php-fpm.conf")
  if [[ "$(id -u)" -eq 0 ]]; then
    local uid gid
    uid="$(id -u "tg-$TENANT")" || die "user tg-$TENANT missing (the gateway creates it)"
    gid="$(id -g "tg-$TENANT")"
    chown "$uid:$gid" "$TMP/bare"
    BARE_CMD=(setpriv --reuid="$uid" --regid="$gid" --init-groups "${BARE_CMD[@]}")
    BARE_AS="uid $uid (tg-$TENANT) via setpriv"
  else
    BARE_AS="uid $(id -u)"
  fi
  write_bare_client
}

bare_activation() {
  python3 "$TMP/bare_fpm.py" "$BARE_SOCK" "$TMP/public/hello.php" "${BARE_CMD[@]}" 2>>"$TMP/bare.err" \
    || echo "0 0"
}

# ---------------------------------------------------------------- stats

# reads one number per line; prints "p50 p99 min max" (nearest rank)
stats() {
  python3 -c '
import math, sys
v = sorted(float(x) for x in sys.stdin.read().split())
if not v:
    print("nan nan nan nan"); sys.exit()
def pct(p): return v[max(0, math.ceil(p / 100 * len(v)) - 1)]
print("%.1f %.1f %.1f %.1f" % (pct(50), pct(99), v[0], v[-1]))'
}

# Reads two files of timings; prints the 5th and 95th percentiles of the p50 ratio (first/second)
# over 2000 bootstrap resamples of each side: how far the p50 ratio of this many activations moves
# by chance alone on this machine (informational; the criterion is the measured ratio).
p50_ratio_interval() {
  python3 - "$1" "$2" <<'PY'
import math, random, sys
def load(path):
    with open(path) as f:
        return [float(x) for x in f.read().split()]
a, b = load(sys.argv[1]), load(sys.argv[2])
if not a or not b:
    print("nan nan"); sys.exit()
def p50(v):
    v = sorted(v)
    return v[max(0, math.ceil(len(v) / 2) - 1)]
rng = random.Random(12)
ratios = sorted(p50(rng.choices(a, k=len(a))) / p50(rng.choices(b, k=len(b))) for _ in range(2000))
print("%.2f %.2f" % (ratios[100], ratios[1899]))
PY
}

# ---------------------------------------------------------------- main

main() {
  ensure_tools
  prepare_gateway
  PHP_FPM="$(find_php_fpm)"
  (( ACTIVATIONS >= 1 )) || die "ACTIVATIONS must be >= 1"

  TMP="$(mktemp -d "${TMPDIR:-/tmp}/cold-start.XXXXXX")"
  chmod 755 "$TMP"   # pool workers run as tg-cold and must reach the docroot
  mkdir -p "$TMP/public"
  chmod 755 "$TMP/public"
  printf '%s\n' '<?php echo "hello world\n";' >"$TMP/public/hello.php"
  chmod 644 "$TMP/public/hello.php"
  POOL_DIR="$TMP/run/pools/$TENANT"
  log "temp dir $TMP"

  read -r PORT_HTTP PORT_ADMIN <<<"$(free_ports 2)"
  start_gateway

  # warm-up: the gateway's first activation (renders the pool config, warms the JVM)
  local r code ms ok i gw_fail=0 bare_fail=0 warm_gw warm_bare
  r="$(gateway_activation)"
  read -r code ms ok <<<"$r"
  [[ "$code" == 200 && "$ok" == 1 ]] || { tail -n 30 "$TMP/gateway.log" >&2; die "warm-up request answered $code"; }
  warm_gw="$ms"
  warm_request_path
  prepare_bare
  read -r ok ms <<<"$(bare_activation)"
  [[ "$ok" == 1 ]] || { cat "$TMP/bare.err" >&2; die "bare php-fpm warm-up failed"; }
  warm_bare="$ms"
  log "warm-up: gateway ${warm_gw} ms, bare php-fpm ${warm_bare} ms (not counted)"

  : >"$TMP/gateway.ms"
  : >"$TMP/bare.ms"
  for (( i = 1; i <= ACTIVATIONS; i++ )); do
    wait_pool_stopped "$i"
    read -r code ms ok <<<"$(gateway_activation)"
    if [[ "$code" == 200 && "$ok" == 1 ]]; then
      echo "$ms" >>"$TMP/gateway.ms"
    else
      gw_fail=$(( gw_fail + 1 ))
      log "activation $i: gateway answered $code (body ok: $ok)"
    fi
    # the bare run happens while the gateway's pool idles (nothing else runs: the gateway only
    # checks idle pools); then wait for the gateway to stop it, so the next gateway run is cold
    wait_pool_stopped "$(( i + 1 ))"
    read -r ok ms <<<"$(bare_activation)"
    if [[ "$ok" == 1 ]]; then
      echo "$ms" >>"$TMP/bare.ms"
    else
      bare_fail=$(( bare_fail + 1 ))
      log "activation $i: bare php-fpm failed"
    fi
    (( i % 10 == 0 )) && log "$i of $ACTIVATIONS activations done"
  done

  local gp50 gp99 gmin gmax bp50 bp99 bmin bmax r50 r99 ok50=FAIL ok99=FAIL verdict=0 reported
  read -r gp50 gp99 gmin gmax <<<"$(stats <"$TMP/gateway.ms")"
  read -r bp50 bp99 bmin bmax <<<"$(stats <"$TMP/bare.ms")"
  r50="$(ratio "$gp50" "$bp50")"
  r99="$(ratio "$gp99" "$bp99")"
  local r50_lo r50_hi
  read -r r50_lo r50_hi <<<"$(p50_ratio_interval "$TMP/gateway.ms" "$TMP/bare.ms")"
  awk -v r="$r50" 'BEGIN { exit !(r != "nan" && r <= 1.1) }' && ok50=PASS
  awk -v r="$r99" 'BEGIN { exit !(r != "nan" && r <= 1.5) }' && ok99=PASS
  # the gateway's own "RUNNING ... after X ms" (spawn to ready as it sees it), measured runs only
  reported="$(grep -o "pool $TENANT RUNNING (pid [0-9]*, uid [0-9]*) after [0-9]* ms" "$TMP/gateway.log" \
    | tail -n +2 | awk '{ print $(NF - 1) }' | stats)"

  echo
  echo "== machine"
  echo "nproc:  $(nproc)"
  echo "cpu:    $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "kernel: $(uname -r)"
  echo "php:    $("$PHP_FPM" -v | head -n 1)"
  echo "setup:  tenant $TENANT, pm = static (conf/php-fpm-pool.conf), max_children $MAX_CHILDREN, idle_timeout_s $IDLE_S;"
  echo "        bare php-fpm as $BARE_AS with the gateway's rendered config (own socket/pid/logs)"
  echo "        request path warmed by ${JIT_WARMUP} s of requests to tenant busy (JIT_WARMUP)"
  echo "        $ACTIVATIONS activations per side, interleaved; warm-up (not counted):"
  echo "        gateway ${warm_gw} ms, bare ${warm_bare} ms"
  echo
  echo "== first-request latency, ms"
  printf '%-26s %8s %8s %8s %8s %9s\n' side p50 p99 min max failures
  printf '%-26s %8s %8s %8s %8s %9s\n' "gateway (curl time_total)" "$gp50" "$gp99" "$gmin" "$gmax" "$gw_fail"
  printf '%-26s %8s %8s %8s %8s %9s\n' "bare php-fpm (spawn->resp)" "$bp50" "$bp99" "$bmin" "$bmax" "$bare_fail"
  # shellcheck disable=SC2086
  printf '%-26s %8s %8s %8s %8s %9s\n' "(gateway log: RUNNING after)" $reported "-"
  echo
  echo "(info) gateway idle stops that needed SIGKILL after the stop grace: $(grep -c 'did not stop within' "$TMP/gateway.log" || true) of $(grep -c "pool $TENANT STOPPED" "$TMP/gateway.log" || true);"
  echo "       stops after which php-fpm.pid was still there: $STALE_PIDFILES of $STOPS_SEEN"
  echo
  echo "== ratios"
  printf 'p50 gateway/bare  %6s   need <= 1.10  %s\n' "$r50" "$ok50"
  printf '(info) p50 ratio by chance alone, 90%% of bootstrap resamples of these %d activations: %s-%s\n' \
    "$ACTIVATIONS" "$r50_lo" "$r50_hi"
  printf 'p99 gateway/bare  %6s   need <= 1.50  %s\n' "$r99" "$ok99"
  if (( gw_fail + bare_fail > 0 )); then
    printf 'failed activations: gateway %d, bare %d   need 0  FAIL\n' "$gw_fail" "$bare_fail"
    verdict=2
  fi
  [[ "$ok50" == PASS && "$ok99" == PASS ]] || verdict=2
  echo
  if (( verdict == 0 )); then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
  return "$verdict"
}

main "$@"
