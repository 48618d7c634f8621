#!/usr/bin/env bash
#
# FastCGI throughput benchmark: the gateway against nginx, both in front of the SAME php-fpm pool,
# in one run, on one machine.
#
#   bench/fcgi-throughput.sh                      # 3 interleaved rounds of 10 s per measurement
#   ROUNDS=5 bench/fcgi-throughput.sh             # more rounds (figures are medians of the rounds)
#   DURATION=30 bench/fcgi-throughput.sh          # longer measurements
#   NGINX_WORKERS=1 bench/fcgi-throughput.sh      # skip the worker_processes probe
#   BENCH_NGINX_ONLY=1 bench/fcgi-throughput.sh   # nginx and php-fpm only (no gateway needed)
#   KEEP_TMP=1 bench/fcgi-throughput.sh           # keep the temp dir (configs, logs, wrk output)
#   JVM_WARMUP=25 bench/fcgi-throughput.sh        # extra first warm-up of the gateway's JIT, seconds
#
# Targets (all behind one php-fpm master, pm = static, 4 workers, unix socket):
#   nginx-common  `fastcgi_pass unix:<sock>;` - a new FastCGI connection per request
#   nginx-tuned   upstream with `keepalive 2;` and `fastcgi_keep_conn on;`
#   gateway       bin/gateway with one tenant "bench" whose `backend` is the same socket
#   caddy         Caddy's php_fastcgi, only when caddy is installed (a reference, no criterion)
# Scripts: hello.php (12 bytes) and big.php (exactly 131072 bytes).
# Load: wrk -t2 -c16 --latency, Host: bench.test, after a warm-up of WARMUP (5) seconds per target.
# php-fpm is restarted before each target's warm-up: php-fpm workers stay pinned to idle kept-alive
# connections, so connections still cached by the previously measured target (nginx-tuned, the
# gateway) would otherwise leave fewer free workers for the next one.
#
# nginx worker_processes: unless NGINX_WORKERS is set, the script measures tuned nginx with
# `worker_processes 1` and with `auto` (hello.php, 5 s each) and keeps the faster one: the gateway
# uses every core, so nginx gets the setting that makes it the stronger baseline. The choice and
# both probe figures are printed.
#
# Printed per target and script: req/s, p50, p99, errors, the proxy's own CPU time per request
# (user + system from /proc/<pid>/stat over the measured run; nginx: master and workers, gateway:
# its JVM, caddy: its process) and its RSS after the run.
#
# Criteria (issue 12):
#   hello.php  gateway req/s >= 1.0 x nginx-tuned       gateway p99 <= 1.2 x nginx-common
#              gateway CPU/request <= 1.2 x nginx-tuned  gateway RSS <= 200 MiB
#   big.php    gateway req/s >= 1.0 x nginx-tuned
#   and no non-2xx responses or socket errors at the gateway.
#
# Exit status: 0 all criteria PASS (or BENCH_NGINX_ONLY), 2 a criterion FAILs, 1 the setup failed.
# Every process the script starts is stopped on exit, including on failure and Ctrl-C.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STOP_GROUP_TENTHS=100
BENCH_TAG="bench"
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
DURATION="${DURATION:-10}"
# The targets are measured in turn, ROUNDS times, and each figure is the median of its rounds: on a
# shared machine whose speed drifts, interleaving keeps the ratios honest.
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-5}"
# The gateway runs on a JIT: its first run also warms the JVM (C2 reaches steady state after some
# tens of thousands of requests). Only the gateway's first measurement gets this extra warm-up.
JVM_WARMUP="${JVM_WARMUP:-25}"
THREADS=2
CONNECTIONS=16
WORKERS=4
BIG_BYTES=131072
HOST_HEADER="bench.test"
NGINX_WORKERS="${NGINX_WORKERS:-}"
BENCH_NGINX_ONLY="${BENCH_NGINX_ONLY:-0}"
KEEP_TMP="${KEEP_TMP:-0}"

TMP=""
PGIDS=()          # process groups started here (each via setsid), stopped by cleanup
NGINX_PGID=""
declare -A RPS P50 P99 ERRS CPU RSS
CADDY_PID=""


# ---------------------------------------------------------------- process management

# Stops the process group $1: SIGTERM, up to 10 s for the leader to exit, then SIGKILL for
# whatever is left of the group (workers that outlived their master).

install_cleanup "" "configs, logs, wrk output"

# ---------------------------------------------------------------- prerequisites

ensure_tools() {
  local missing=()
  [[ -n "$(find_php_fpm)" ]] || missing+=(php-fpm)
  command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  mapfile -t -O "${#missing[@]}" missing < <(missing_commands wrk=wrk curl=curl python3=python3 setsid=util-linux)
  install_missing "${missing[@]+"${missing[@]}"}"
}

# Polls until curl gets HTTP 200 from $1 (with Host: bench.test), at most $2 seconds, while the
# process $3 lives. Returns 1 on timeout, 2 when the process exited.
wait_for_200() {
  local url="$1" timeout_s="$2" pid="$3" deadline code
  deadline=$(( SECONDS + timeout_s ))
  while (( SECONDS < deadline )); do
    kill -0 "$pid" 2>/dev/null || return 2
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H "Host: $HOST_HEADER" "$url" || true)"
    [[ "$code" == 200 ]] && return 0
    sleep 0.25
  done
  return 1
}

# ---------------------------------------------------------------- php-fpm

start_php_fpm() {
  local conf="$TMP/php-fpm.conf" user_lines="" group="nogroup" deadline
  if [[ "$(id -u)" -eq 0 ]]; then
    # php-fpm refuses to run pool workers as root without -R; run them as nobody instead.
    getent group nogroup >/dev/null || group="nobody"
    user_lines="user = nobody
group = $group"
  fi
  cat >"$conf" <<EOF
[global]
pid = $TMP/php-fpm.pid
error_log = $TMP/php-fpm.log
daemonize = no

[bench]
listen = $SOCK
listen.mode = 0666
$user_lines
pm = static
pm.max_children = $WORKERS
; no access.log: php-fpm writes none when it is not set
catch_workers_output = no
php_admin_flag[log_errors] = on
php_admin_value[error_log] = $TMP/php-errors.log
EOF
  # the workers (nobody when run as root) append PHP errors here; they cannot create files in $TMP
  touch "$TMP/php-errors.log"
  chmod 666 "$TMP/php-errors.log"
  rm -f "$SOCK"
  start_bg "$TMP/php-fpm.out" "$PHP_FPM" -F -y "$conf" -p "$TMP"
  PHP_FPM_PID=$STARTED_PID
  deadline=$(( SECONDS + 10 ))
  until [[ -S "$SOCK" ]]; do
    if ! kill -0 "$PHP_FPM_PID" 2>/dev/null || (( SECONDS >= deadline )); then
      cat "$TMP/php-fpm.out" "$TMP/php-fpm.log" >&2 2>/dev/null || true
      die "php-fpm did not come up"
    fi
    sleep 0.05
  done
  [[ "${1:-}" == quiet ]] \
    || log "php-fpm master pid $PHP_FPM_PID, pm = static, max_children = $WORKERS, socket $SOCK"
}

# A fresh php-fpm before each measurement: a worker serves one connection at a time and stays
# pinned to an idle kept-alive connection, so connections cached by the target measured before
# (nginx-tuned's upstream keepalive, the gateway's pool) would otherwise take workers away from
# the next target. Restarting closes them all; each target starts with all workers free.
restart_php_fpm() {
  stop_and_forget "$PHP_FPM_PID"
  start_php_fpm quiet
}

# ---------------------------------------------------------------- nginx

# Writes nginx.conf with worker_processes $1.
write_nginx_conf() {
  local workers="$1"
  mkdir -p "$TMP/nginx/tmp"
  # \$ below: nginx variables, not shell ones
  cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes $workers;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;

events {
  worker_connections 1024;
}

http {
  # a buffered access log, as a production nginx would keep (the gateway writes one too)
  access_log $TMP/nginx/access.log combined buffer=64k flush=1s;
  client_body_temp_path $TMP/nginx/tmp/body;
  fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
  proxy_temp_path $TMP/nginx/tmp/proxy;
  scgi_temp_path $TMP/nginx/tmp/scgi;
  uwsgi_temp_path $TMP/nginx/tmp/uwsgi;

  upstream php_tuned {
    server unix:$SOCK;
    keepalive 2;
  }

  # common: the configuration most sites run, one FastCGI connection per request
  server {
    listen 127.0.0.1:$PORT_COMMON;
    server_name $HOST_HEADER;
    root $TMP/public;
    location ~ \.php\$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_pass unix:$SOCK;
    }
  }

  # tuned: FastCGI connections kept alive (FCGI_KEEP_CONN)
  server {
    listen 127.0.0.1:$PORT_TUNED;
    server_name $HOST_HEADER;
    root $TMP/public;
    location ~ \.php\$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_pass php_tuned;
      fastcgi_keep_conn on;
    }
  }
}
EOF
}

# Starts nginx with worker_processes $1 and waits until both servers answer.
start_nginx() {
  local workers="$1"
  write_nginx_conf "$workers"
  local args=(-p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log")
  "$NGINX" "${args[@]}" -t -q || die "nginx -t failed for $TMP/nginx/nginx.conf"
  start_bg "$TMP/nginx/nginx.out" "$NGINX" "${args[@]}" -g 'daemon off;'
  NGINX_PGID=$STARTED_PID
  if ! wait_for_200 "http://127.0.0.1:$PORT_COMMON/hello.php" 10 "$NGINX_PGID" \
      || ! wait_for_200 "http://127.0.0.1:$PORT_TUNED/hello.php" 10 "$NGINX_PGID"; then
    cat "$TMP/nginx/nginx.out" "$TMP/nginx/error.log" >&2 2>/dev/null || true
    die "nginx did not answer 200 for hello.php"
  fi
}

stop_nginx() {
  [[ -n "$NGINX_PGID" ]] || return 0
  stop_and_forget "$NGINX_PGID"
  NGINX_PGID=""
}

# ---------------------------------------------------------------- caddy (reference, when installed)

start_caddy() {
  mkdir -p "$TMP/caddy"
  printf '%s\n' '{' '  admin off' '  auto_https off' '  persist_config off' '}' \
    "http://:$PORT_CADDY {" '  bind 127.0.0.1' "  root * $TMP/public" "  php_fastcgi unix/$SOCK" '}' \
    >"$TMP/caddy/Caddyfile"
  start_bg "$TMP/caddy/caddy.out" env HOME="$TMP/caddy" XDG_DATA_HOME="$TMP/caddy" XDG_CONFIG_HOME="$TMP/caddy" \
    caddy run --config "$TMP/caddy/Caddyfile" --adapter caddyfile
  CADDY_PID=$STARTED_PID
  if ! wait_for_200 "http://127.0.0.1:$PORT_CADDY/hello.php" 20 "$CADDY_PID"; then
    cat "$TMP/caddy/caddy.out" >&2 || true
    die "caddy did not answer 200 for hello.php"
  fi
  log "caddy $(caddy version 2>/dev/null | awk '{ print $1 }') on port $PORT_CADDY (reference)"
}

# ---------------------------------------------------------------- gateway

# Checks for bin/gateway and builds the gateway when gateway/target/lib is missing.
start_gateway() {
  mkdir -p "$TMP/run"
  cat >"$TMP/tenants.yaml" <<EOF
tenants:
  - id: bench
    domains: ["$HOST_HEADER"]
    docroot: "$TMP/public"
    routing: { mode: scripts, index: index.php }
    php: { max_children: $WORKERS }
    backend: "unix:$SOCK"
EOF
  # env -C: the gateway runs from the repo root (conf/ is relative to it); no subshell, so the
  # gateway stays a child of this script and cleanup can wait for it
  start_bg "$TMP/gateway.log" env -C "$REPO_ROOT" \
    GATEWAY_HTTP_PORT="$PORT_GATEWAY" GATEWAY_ADMIN_PORT="$PORT_ADMIN" GATEWAY_REGISTRY=file \
    GATEWAY_REGISTRY_FILE="$TMP/tenants.yaml" GATEWAY_RUN_DIR="$TMP/run" "$REPO_ROOT/bin/gateway"
  GATEWAY_PGID=$STARTED_PID
  log "gateway starting (pid $GATEWAY_PGID, port $PORT_GATEWAY, log $TMP/gateway.log)"
  local rc=0
  wait_for_200 "http://127.0.0.1:$PORT_GATEWAY/hello.php" 60 "$GATEWAY_PGID" || rc=$?
  if (( rc != 0 )); then
    printf -- '----- gateway log (%s) -----\n' "$TMP/gateway.log" >&2
    cat "$TMP/gateway.log" >&2 || true
    printf -- '-----\n' >&2
    (( rc == 2 )) && die "the gateway exited before it answered hello.php"
    die "the gateway did not answer 200 for hello.php within 60 s"
  fi
  log "gateway ready"
}

# ---------------------------------------------------------------- measurements

url_of() {
  case "$1" in
    nginx-common) echo "http://127.0.0.1:$PORT_COMMON/$2" ;;
    nginx-tuned) echo "http://127.0.0.1:$PORT_TUNED/$2" ;;
    gateway) echo "http://127.0.0.1:$PORT_GATEWAY/$2" ;;
    caddy) echo "http://127.0.0.1:$PORT_CADDY/$2" ;;
  esac
}

# Fails unless every target returns the expected body: otherwise a fast error page would be
# measured instead of PHP.
check_bodies() {
  local target body size
  for target in "${TARGETS[@]}"; do
    body="$(curl -s -m 5 -H "Host: $HOST_HEADER" "$(url_of "$target" hello.php)")"
    [[ "$body" == "hello world" ]] || die "$target hello.php answered '${body:0:200}'"
    size="$(curl -s -m 5 -o /dev/null -w '%{size_download}' -H "Host: $HOST_HEADER" \
      "$(url_of "$target" big.php)")"
    [[ "$size" == "$BIG_BYTES" ]] || die "$target big.php answered $size bytes, not $BIG_BYTES"
  done
  log "responses checked: hello.php = 'hello world', big.php = $BIG_BYTES bytes on every target"
}

# wrk's latency figure ("512.00us", "1.23ms", "2.01s", "1.00m") in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /h$/) { sub(/h$/, "", v); printf "%.3f", v * 3600000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "nan" }'
}

# Runs wrk for $3 seconds against target $1, script $2; prints the raw output file name.
run_wrk() {
  local target="$1" script="$2" seconds="$3" out
  out="$TMP/wrk-$target-${script%.php}-${seconds}s.txt"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency -H "Host: $HOST_HEADER" \
    "$(url_of "$target" "$script")" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
  echo "$out"
}

rps_of() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }

# pids of the proxy behind a target: nginx's master and workers, the gateway's JVM, or caddy
proxy_pids() {
  case "$1" in
    gateway) pgrep -g "$GATEWAY_PGID" -x java || true ;;
    caddy) pgrep -g "$CADDY_PID" -x caddy || true ;;
    *) pgrep -g "$NGINX_PGID" -x nginx || true ;;
  esac
}

# Sums over the given pids what command "$1 <pid>" prints (0 for a pid that is gone).
sum_over() {
  local each="$1" pid total=0 n
  shift
  for pid in "$@"; do
    n="$("$each" "$pid" 2>/dev/null)" || n=0
    total=$(( total + ${n:-0} ))
  done
  echo "$total"
}
ticks_of() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kb_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# CPU time (user + system) of the given pids, in clock ticks
cpu_ticks() { sum_over ticks_of "$@"; }

# resident memory of the given pids, MiB
rss_mib() { awk -v k="$(sum_over rss_kb_of "$@")" 'BEGIN { printf "%.1f", k / 1024 }'; }

# Non-2xx responses plus socket errors reported by wrk.
errors_of() {
  awk '/Non-2xx or 3xx responses:/ { n += $NF }
       /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { sub(/,/, "", $i); n += $i } }
       END { print n + 0 }' "$1"
}

measure() {
  local target="$1" script="$2" out p99
  log "$target $script: warm-up ${WARMUP}s, then ${DURATION}s"
  restart_php_fpm
  if [[ "$target" == gateway && -z "${JVM_WARM:-}" ]]; then
    log "gateway: JIT warm-up ${JVM_WARMUP}s"
    run_wrk "$target" "$script" "$JVM_WARMUP" >/dev/null
    JVM_WARM=1
  fi
  run_wrk "$target" "$script" "$WARMUP" >/dev/null
  local pids ticks0 ticks1 requests
  mapfile -t pids < <(proxy_pids "$target")
  ticks0="$(cpu_ticks "${pids[@]}")"
  out="$(run_wrk "$target" "$script" "$DURATION")"
  ticks1="$(cpu_ticks "${pids[@]}")"
  requests="$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$out")"
  CPU[$target:$script]="$(awk -v d="$(( ticks1 - ticks0 ))" -v hz="$CLK_TCK" -v n="${requests:-0}" \
    'BEGIN { if (n > 0) printf "%.1f", d / hz * 1e6 / n; else printf "nan" }')"
  RSS[$target:$script]="$(rss_mib "${pids[@]}")"
  if [[ "$target" == gateway ]] && ! kill -0 "$GATEWAY_PGID" 2>/dev/null; then
    tail -n 30 "$TMP/gateway.log" >&2 || true
    die "the gateway exited during the measurement (log: $TMP/gateway.log); figures discarded"
  fi
  p99="$(awk '$1 == "99%" { print $2 }' "$out")"
  [[ -n "$p99" ]] || die "no 99% line in $out"
  RPS[$target:$script]="$(rps_of "$out")"
  P50[$target:$script]="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")"
  P99[$target:$script]="$(to_ms "$p99")"
  ERRS[$target:$script]="$(errors_of "$out")"
  if [[ "$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$out")" == 0 ]]; then
    ERRS[$target:$script]="stalled"   # not one response in the whole run
  fi
}

# Picks nginx worker_processes: NGINX_WORKERS, or whichever of 1 and auto serves hello.php faster
# through the tuned server. Leaves nginx running with the choice.
choose_nginx_workers() {
  if [[ -n "$NGINX_WORKERS" ]]; then
    start_nginx "$NGINX_WORKERS"
    NGINX_CHOICE="worker_processes $NGINX_WORKERS (from NGINX_WORKERS)"
    return 0
  fi
  local w out best="" best_rps=0 probe=()
  for w in 1 auto; do
    restart_php_fpm
    start_nginx "$w"
    run_wrk nginx-tuned hello.php 2 >/dev/null
    out="$(run_wrk nginx-tuned hello.php 5)"
    probe+=("$w: $(rps_of "$out") req/s")
    if awk -v a="$(rps_of "$out")" -v b="$best_rps" 'BEGIN { exit !(a > b) }'; then
      best="$w"
      best_rps="$(rps_of "$out")"
    fi
    stop_nginx
  done
  start_nginx "$best"
  NGINX_CHOICE="worker_processes $best (probe, tuned hello.php 5 s: ${probe[0]}, ${probe[1]};"
  NGINX_CHOICE+=" the faster nginx is the fairer baseline)"
}

# Prints one ratio with its target and verdict (an empty operator: informational); a FAIL sets
# verdict=2 in the caller.
check() {
  local script="$1" what="$2" value="$3" op="$4" bound="$5" ok=FAIL
  if [[ -z "$op" ]]; then
    printf '%-10s %-24s %7s                  (informational)\n' "$script" "$what" "$value"
    return 0
  fi
  awk -v v="$value" -v b="$bound" -v op="$op" \
    'BEGIN { if (v == "nan" || v == "") exit 1; exit !((op == ">=") ? v >= b : v <= b) }' && ok=PASS
  printf '%-10s %-24s %7s   need %s %-6s %s\n' "$script" "$what" "$value" "$op" "$bound" "$ok"
  [[ "$ok" == PASS ]] || verdict=2
}

# Prints every round's req/s and p99 for hello.php, and the gateway/common p99 ratio of each round:
# the medians above hide how far single rounds spread on a shared machine.
report_rounds() {
  [[ -n "${P99_ALL[nginx-common:hello.php]:-}" ]] || return 0
  local target common=() gateway=() i ratios=""
  echo "== hello.php per round (req/s / p99 ms, in the order measured)"
  for target in "${TARGETS[@]}"; do
    local rps=(${RPS_ALL[$target:hello.php]}) p99=(${P99_ALL[$target:hello.php]}) line=""
    for i in "${!rps[@]}"; do line+="  ${rps[$i]} / ${p99[$i]}"; done
    printf '%-14s%s\n' "$target" "$line"
  done
  if [[ -n "${P99_ALL[gateway:hello.php]:-}" ]]; then
    common=(${P99_ALL[nginx-common:hello.php]})
    gateway=(${P99_ALL[gateway:hello.php]})
    for i in "${!gateway[@]}"; do ratios+="  $(ratio "${gateway[$i]}" "${common[$i]}")"; done
    printf '%-14s%s\n' "p99 ratio" "$ratios"
  fi
  echo
}

report() {
  local target script verdict=0
  echo
  echo "== machine"
  echo "uname:  $(uname -a)"
  echo "nproc:  $(nproc)"
  echo "cpu:    $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "php:    $("$PHP_FPM" -v | head -n 1)"
  echo "nginx:  $("$NGINX" -v 2>&1)"
  echo "wrk:    $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
  echo "load:   wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, warm-up ${WARMUP}s per target, $ROUNDS interleaved rounds, medians"
  echo "pool:   php-fpm pm = static, max_children = $WORKERS, unix socket, restarted before each"
  echo "        target so that no other client's idle kept-alive connection pins a worker"
  echo "nginx:  $NGINX_CHOICE"
  echo
  echo "== results"
  printf '%-14s %-10s %12s %9s %9s %8s %12s %9s\n' target script "req/s" "p50 ms" "p99 ms" errors "CPU us/req" \
    "RSS MiB"
  for script in hello.php big.php; do
    for target in "${TARGETS[@]}"; do
      printf '%-14s %-10s %12s %9s %9s %8s %12s %9s\n' "$target" "$script" "${RPS[$target:$script]}" \
        "${P50[$target:$script]}" "${P99[$target:$script]}" "${ERRS[$target:$script]}" "${CPU[$target:$script]}" \
        "${RSS[$target:$script]}"
    done
  done
  echo "(CPU us/req: the proxy's own user + system time over the measured run, from /proc/<pid>/stat;"
  echo " RSS: the proxy's resident memory after it. nginx: master and workers; gateway: its JVM)"
  echo
  report_rounds
  if [[ "$BENCH_NGINX_ONLY" == 1 ]]; then
    echo "== ratios: n/a (BENCH_NGINX_ONLY=1)"
    return 0
  fi
  echo "== ratios (issue 12 targets)"
  check hello.php "gateway/tuned req/s" "$(ratio "${RPS[gateway:hello.php]}" "${RPS[nginx-tuned:hello.php]}")" ">=" 1.0
  check hello.php "gateway/common p99" "$(ratio "${P99[gateway:hello.php]}" "${P99[nginx-common:hello.php]}")" "<=" 1.2
  check hello.php "gateway/tuned CPU/req" "$(ratio "${CPU[gateway:hello.php]}" "${CPU[nginx-tuned:hello.php]}")" "<=" 1.2
  check hello.php "gateway RSS MiB" "${RSS[gateway:hello.php]}" "<=" 200
  check big.php "gateway/tuned req/s" "$(ratio "${RPS[gateway:big.php]}" "${RPS[nginx-tuned:big.php]}")" ">=" 1.0
  check big.php "gateway/common p99" "$(ratio "${P99[gateway:big.php]}" "${P99[nginx-common:big.php]}")" "" ""
  check big.php "gateway/tuned CPU/req" "$(ratio "${CPU[gateway:big.php]}" "${CPU[nginx-tuned:big.php]}")" "" ""
  for script in hello.php big.php; do
    if [[ "${ERRS[gateway:$script]}" != 0 ]]; then
      printf '%-10s %-24s %7s   need 0         FAIL\n' "$script" "gateway errors" "${ERRS[gateway:$script]}"
      verdict=2
    fi
  done
  echo
  if (( verdict == 0 )); then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
  return "$verdict"
}

# ---------------------------------------------------------------- main

main() {
  ensure_tools
  [[ "$BENCH_NGINX_ONLY" == 1 ]] || prepare_gateway
  PHP_FPM="$(find_php_fpm)"
  NGINX="$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)"

  TMP="$(mktemp -d "${TMPDIR:-/tmp}/fcgi-bench.XXXXXX")"
  chmod 755 "$TMP"   # php-fpm workers (nobody when run as root) must reach the docroot
  SOCK="$TMP/php.sock"
  mkdir -p "$TMP/public"
  printf '%s\n' '<?php echo "hello world\n";' >"$TMP/public/hello.php"
  printf '%s\n' "<?php echo str_repeat('x', $BIG_BYTES);" >"$TMP/public/big.php"
  log "temp dir $TMP"

  read -r PORT_COMMON PORT_TUNED PORT_GATEWAY PORT_ADMIN PORT_CADDY <<<"$(free_ports 5)"
  log "ports: nginx-common $PORT_COMMON, nginx-tuned $PORT_TUNED, gateway $PORT_GATEWAY (admin $PORT_ADMIN)"

  CLK_TCK="$(getconf CLK_TCK)"
  TARGETS=(nginx-common nginx-tuned)
  [[ "$BENCH_NGINX_ONLY" == 1 ]] || TARGETS+=(gateway)
  if command -v caddy >/dev/null 2>&1; then TARGETS+=(caddy); fi

  start_php_fpm
  choose_nginx_workers
  log "nginx: $NGINX_CHOICE"
  [[ "$BENCH_NGINX_ONLY" == 1 ]] || start_gateway
  if [[ " ${TARGETS[*]} " == *" caddy "* ]]; then start_caddy; fi
  check_bodies

  local script target round key
  declare -gA RPS_ALL P50_ALL P99_ALL ERR_ALL CPU_ALL RSS_ALL
  for round in $(seq "$ROUNDS"); do
    log "round $round of $ROUNDS"
    for script in hello.php big.php; do
      for target in "${TARGETS[@]}"; do
        measure "$target" "$script"
        key="$target:$script"
        RPS_ALL[$key]+="${RPS[$key]} "
        P50_ALL[$key]+="${P50[$key]} "
        P99_ALL[$key]+="${P99[$key]} "
        CPU_ALL[$key]+="${CPU[$key]} "
        RSS_ALL[$key]+="${RSS[$key]} "
        if [[ "${ERRS[$key]}" == stalled || "${ERR_ALL[$key]:-0}" == stalled ]]; then
          ERR_ALL[$key]=stalled
        else
          ERR_ALL[$key]=$(( ${ERR_ALL[$key]:-0} + ERRS[$key] ))
        fi
      done
    done
  done
  for key in "${!RPS_ALL[@]}"; do
    RPS[$key]="$(median ${RPS_ALL[$key]})"
    P50[$key]="$(median ${P50_ALL[$key]})"
    P99[$key]="$(median ${P99_ALL[$key]})"
    CPU[$key]="$(median ${CPU_ALL[$key]})"
    RSS[$key]="$(median ${RSS_ALL[$key]})"
    ERRS[$key]="${ERR_ALL[$key]}"
  done
  report
}

# Median of the numbers given as arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

main "$@"
