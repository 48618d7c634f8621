# shellcheck shell=bash
# Helpers shared by the bench/ scripts. Source it after setting BENCH_TAG (the log prefix) and
# declaring PGIDS=() (process groups to stop on exit).

log() { printf '[%s] %s\n' "$BENCH_TAG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$BENCH_TAG" "$*" >&2; exit 1; }

# Runs "$@" in its own process group with output to $1; sets STARTED_PID.
start_bg() {
  local out="$1"
  shift
  setsid "$@" >"$out" 2>&1 </dev/null &
  STARTED_PID=$!
  PGIDS+=("$STARTED_PID")
}

# Stops process group $1: SIGTERM, up to STOP_GROUP_TENTHS tenths of a second for it to exit,
# then SIGKILL.
stop_group() {
  local pgid="$1" state i
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for (( i = 0; i < ${STOP_GROUP_TENTHS:-150}; i++ )); do
    state="$(ps -o stat= -p "$pgid" 2>/dev/null || true)"
    [[ -z "$state" || "$state" == Z* ]] && break
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  wait "$pgid" 2>/dev/null || true
}

# Installs the exit handler of a script: however it ends (done, failed, Ctrl-C, SIGTERM) it stops
# every process group in PGIDS, then runs the script's own cleanup function $1 (none if empty), then
# removes $TMP unless it is kept (remove_tmp_unless_kept; $2 says what the kept dir holds).
install_cleanup() {
  CLEANUP_EXTRA="$1"
  CLEANUP_WHAT="$2"
  trap run_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

run_cleanup() {
  local rc=$? pgid
  trap - EXIT INT TERM
  for pgid in "${PGIDS[@]+"${PGIDS[@]}"}"; do
    stop_group "$pgid"
  done
  [[ -z "$CLEANUP_EXTRA" ]] || "$CLEANUP_EXTRA"
  remove_tmp_unless_kept "$rc" "$CLEANUP_WHAT"
  exit "$rc"
}

# Stops process group $1 and forgets it.
stop_and_forget() {
  local pgid="$1" kept=() p
  stop_group "$pgid"
  for p in "${PGIDS[@]+"${PGIDS[@]}"}"; do
    [[ "$p" == "$pgid" ]] || kept+=("$p")
  done
  PGIDS=("${kept[@]+"${kept[@]}"}")
}

# php-fpm on the PATH, else the newest /usr/sbin/php-fpm*.
find_php_fpm() {
  local candidate
  if candidate="$(command -v php-fpm 2>/dev/null)"; then
    echo "$candidate"
    return 0
  fi
  candidate="$(printf '%s\n' /usr/sbin/php-fpm* | sort -V | tail -n 1)"
  [[ -x "$candidate" ]] && echo "$candidate"
}

# $1 free TCP ports on 127.0.0.1, held open together while picked so that they differ.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "nan" }'; }

# Installs the Debian packages named as arguments (as root), or stops with the command to run.
install_missing() {
  (( $# == 0 )) && return 0
  if [[ "$(id -u)" -ne 0 ]]; then
    printf '[%s] missing: %s. Install them with:\n  sudo apt-get install -y %s\n' "$BENCH_TAG" "$*" "$*" >&2
    exit 1
  fi
  log "installing $*"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

# Removes $TMP unless KEEP_TMP=1, the verdict was FAIL or the setup failed (exit status $1 other
# than 0 PASS, 130/143 interrupted); $2 says what the kept dir holds.
remove_tmp_unless_kept() {
  local rc="$1" what="$2"
  [[ -n "$TMP" && -d "$TMP" ]] || return 0
  # kept on a FAIL verdict (2) or a setup failure: the logs tell why
  if [[ "$KEEP_TMP" == 1 || ! " 0 130 143 " == *" $rc "* ]]; then
    log "kept $TMP ($what)"
  else
    rm -rf "$TMP"
  fi
}

# Sends SIGQUIT to the pids printed by command $1, waits $2 s, then SIGKILLs what is left.
stop_pids_of() {
  local list="$1" wait_s="$2" pids
  pids="$($list)"
  [[ -n "$pids" ]] || return 0
  # shellcheck disable=SC2086
  kill -QUIT $pids 2>/dev/null || true
  sleep "$wait_s"
  pids="$($list)"
  # shellcheck disable=SC2086
  [[ -z "$pids" ]] || kill -KILL $pids 2>/dev/null || true
}

# Starts bin/gateway in its own process group on the file registry $TMP/tenants.yaml with run dir
# $TMP/run, output to $TMP/gateway.log, and waits until it listens (60 s at most; on failure shows
# its log and dies). Sets GATEWAY_PID (the process group leader, which execs into the JVM).
#   start_gateway_bg <http port> <admin port>
start_gateway_bg() {
  local http_port="$1" admin_port="$2"
  mkdir -p "$TMP/run"
  start_bg "$TMP/gateway.log" env -C "$REPO_ROOT" \
    GATEWAY_HTTP_HOST=127.0.0.1 GATEWAY_HTTP_PORT="$http_port" GATEWAY_ADMIN_PORT="$admin_port" \
    GATEWAY_REGISTRY=file GATEWAY_REGISTRY_FILE="$TMP/tenants.yaml" GATEWAY_RUN_DIR="$TMP/run" \
    "$REPO_ROOT/bin/gateway"
  GATEWAY_PID=$STARTED_PID
  log "gateway starting (pid $GATEWAY_PID, port $http_port, log $TMP/gateway.log)"
  local deadline=$(( SECONDS + 60 ))
  until grep -q 'gateway listening' "$TMP/gateway.log" 2>/dev/null; do
    if ! kill -0 "$GATEWAY_PID" 2>/dev/null || (( SECONDS >= deadline )); then
      cat "$TMP/gateway.log" >&2 || true
      die "the gateway did not start (a build older than conf/ or the sources? mvn -B -q -DskipTests package)"
    fi
    sleep 0.1
  done
  log "gateway listening"
}

# Prints the package of every command=package pair whose command is not on PATH.
#   missing_commands curl=curl setsid=util-linux
missing_commands() {
  local pair
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null 2>&1 || printf '%s\n' "${pair#*=}"
  done
}

# Builds the gateway (mvn -B -q -DskipTests package) unless gateway/target/lib is there.
prepare_gateway() {
  [[ -x "$REPO_ROOT/bin/gateway" ]] || die "$REPO_ROOT/bin/gateway not found"
  if [[ ! -d "$REPO_ROOT/gateway/target/lib" ]]; then
    command -v mvn >/dev/null 2>&1 || die "mvn not found: apt-get install -y maven"
    log "building the gateway (mvn -B -q -DskipTests package)"
    (cd "$REPO_ROOT" && mvn -B -q -DskipTests package)
  fi
}
