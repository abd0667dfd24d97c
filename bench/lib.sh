# Shared helpers for the benchmarks (sourced, not run).
#
# Env:
#   HANGAR_BENCH_JAR   the jar under test (default /tmp/bench-jar/hangar.jar; copied from target/ when
#                      missing, so a rebuild of target/ during a run cannot change what is measured)
#   BENCH_CACHE        generated inputs kept between runs (default /tmp/bench-cache)
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
export JAVA_HOME=${JAVA_HOME:-$("$REPO/scripts/find-jdk")}
JAVA="$JAVA_HOME/bin/java"
BENCH_JAR=${HANGAR_BENCH_JAR:-/tmp/bench-jar/hangar.jar}
BENCH_CACHE=${BENCH_CACHE:-/tmp/bench-cache}
PY=/usr/bin/python3
# The service's JVM flags of the ./hangar launcher, read from its service_jvm line so the two never drift
# apart; HANGAR_START_FLAGS adds, for `-jar ... serve`, the jar's start cache as the launcher passes it
# (set by ensure_jar: the AOT cache and SQLite library scripts/build-start-cache made beside the jar).
read -r -a HANGAR_JVM_FLAGS <<< "$(sed -n 's/^service_jvm=(\(.*\))$/\1/p' "$REPO/hangar")"
HANGAR_START_FLAGS=(-Xshare:auto)

ensure_jar() {
  if [ ! -f "$BENCH_JAR" ]; then
    if [ ! -f "$REPO/target/hangar.jar" ]; then
      (cd "$REPO" && mvn -q -B -o package -DskipTests >&2)
    fi
    mkdir -p "$(dirname "$BENCH_JAR")"
    local t=$REPO/target
    # -p: the AOT cache names the jar by its size and time; the JVM maps it onto a jar moved elsewhere.
    rm -rf "$BENCH_JAR.aot" "$(dirname "$BENCH_JAR")/native"
    if [ -f "$t/hangar.jar.aot" ] && [ "$t/hangar.jar.aot" -nt "$t/hangar.jar" ]; then cp -p "$t/hangar.jar.aot" "$BENCH_JAR.aot"; fi
    if [ -f "$t/native/libsqlitejdbc.so" ]; then cp -rp "$t/native" "$(dirname "$BENCH_JAR")/native"; fi
    cp -p "$t/hangar.jar" "$BENCH_JAR.tmp" && mv "$BENCH_JAR.tmp" "$BENCH_JAR"
  fi
  HANGAR_START_FLAGS=(-Xshare:auto)
  [ -f "$BENCH_JAR.aot" ] && HANGAR_START_FLAGS=("-XX:AOTCache=$BENCH_JAR.aot")
  local native=$(dirname "$BENCH_JAR")/native
  [ -f "$native/libsqlitejdbc.so" ] && HANGAR_START_FLAGS+=("-Dorg.sqlite.lib.path=$native" -Dorg.sqlite.lib.name=libsqlitejdbc.so)
  return 0
}

# Runs a single-file Java benchmark source against the jar under test.
bench_java() {
  local src=$1; shift
  "$JAVA" -cp "$BENCH_JAR" "$BENCH_DIR/$src" "$@"
}

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

now_ns() { date +%s%N; }

# verdict VALUE OP TARGET  (OP: le | ge) -> meets / misses
verdict() {
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "le") ? (v <= t) : (v >= t); print (ok ? "meets" : "misses") }'
}

# median of numbers on stdin
median() {
  sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "nan"; exit } if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

machine_load() {
  echo "load: $(uptime | sed 's/.*load average/load average/')"
}

# Waits until `curl URL` answers 2xx (at most $2 seconds). Prints nothing; fails on timeout.
wait_http() {
  local url=$1 limit=${2:-30} until=$(( $(date +%s) + ${2:-30} ))
  until curl -sf -o /dev/null "$url"; do
    [ "$(date +%s)" -lt "$until" ] || return 1
    sleep 0.05
  done
}

# start_http_server DIR PORT [netns] : a static file server on 127.0.0.1:PORT; sets HTTP_PID.
start_http_server() {
  local dir=$1 port=$2 ns=${3:-}
  if [ -n "$ns" ]; then
    ip netns exec "$ns" $PY -m http.server --bind 127.0.0.1 --directory "$dir" "$port" >/dev/null 2>&1 &
  else
    $PY -m http.server --bind 127.0.0.1 --directory "$dir" "$port" >/dev/null 2>&1 &
  fi
  HTTP_PID=$!
  local i
  for i in $(seq 1 100); do
    if [ -n "$ns" ]; then ip netns exec "$ns" curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    else curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0; fi
    sleep 0.1
  done
  echo "http server on $port did not come up" >&2; return 1
}

# stop_pid PID : TERM, wait up to 10 s, then KILL. Only for processes this script started.
stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  return 0
}

# delete_all_vms BASE_URL [netns] : DELETE every VM the service lists (the VMs this benchmark made).
delete_all_vms() {
  local base=$1 ns=${2:-} ids id
  local run=()
  [ -n "$ns" ] && run=(ip netns exec "$ns")
  ids=$("${run[@]}" curl -s "$base/vms" | grep -o '"id" *: *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/') || true
  for id in $ids; do "${run[@]}" curl -s -o /dev/null -X DELETE "$base/vms/$id"; done
}

rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# An interrupted benchmark still runs its EXIT trap (its cleanup).
trap 'exit 130' INT TERM
