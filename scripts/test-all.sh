#!/usr/bin/env bash
# The single test command (`npm run test:all`, and what .ci/run runs after `npm ci`).
#
# 1. Installs the Debian packages the tests use, if missing (skipped quickly when present).
# 2. Runs lint, typecheck, unit tests, and the integration tests twice: on SQLite and on PostgreSQL.
#    For PostgreSQL it uses CHARTHOUSE_TEST_DATABASE_URL when set, otherwise a throwaway cluster it
#    starts itself and removes on exit.
# 3. Runs every step even after a failure, so one run shows every failure, then prints
#    `N passed, M failed` and exits non-zero if anything failed.
#
# Environment: CHARTHOUSE_TEST_DATABASE_URL (a server whose user may CREATE DATABASE),
# CHARTHOUSE_SKIP_INSTALL=1 (never touch apt; tests needing a missing tool then fail).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$(pwd)

log() { printf 'test-all: %s\n' "$*"; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
else
  SUDO=(sudo)
fi

# Debian's postgresql package puts initdb/pg_ctl in /usr/lib/postgresql/<major>/bin, off PATH.
find_pg_bindir() {
  local initdb dir
  initdb=$(command -v initdb 2>/dev/null || true)
  if [ -n "$initdb" ] && [ -x "$(dirname "$initdb")/pg_ctl" ]; then
    dirname "$(readlink -f "$initdb")"
    return 0
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4 -n -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

install_missing() {
  local missing=()
  [ -x /usr/bin/docker-registry ] || command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v unzip >/dev/null 2>&1 || missing+=(unzip)
  # The agent's private-network test makes network namespaces (ip netns, veth).
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  find_pg_bindir >/dev/null || missing+=(postgresql)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # The cluster tests' load balancer (and the static-file benchmarks).
  [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  if [ ${#missing[@]} -eq 0 ]; then
    log "system packages present (docker-registry skopeo apache2-utils openssl unzip postgresql chromium nginx-light)"
    return 0
  fi
  if [ "${CHARTHOUSE_SKIP_INSTALL:-}" = 1 ]; then
    log "CHARTHOUSE_SKIP_INSTALL=1: not installing missing packages: ${missing[*]}"
    return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  local started=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq || return 1
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" || return 1
  log "installed ${missing[*]} in $((SECONDS - started))s"
}

FAILED_STEPS=()
TOTAL_PASS=0
TOTAL_FAIL=0
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/charthouse-test-all.XXXXXX")
PG_TMP=""
PG_BINDIR=""
PG_OWNER_CMD=()

cleanup() {
  # Background suites die with the run (an interrupted CI must not leave servers behind).
  local pids
  pids=$(jobs -p)
  [ -z "$pids" ] || kill $pids 2>/dev/null
  stop_throwaway_postgres
  rm -rf "$LOG_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs one step with its output on stdout, and remembers whether it failed.
run_step() {
  local name=$1
  shift
  local started=$SECONDS
  log "── $name: $*"
  "$@"
  local rc=$?
  if [ $rc -ne 0 ]; then
    FAILED_STEPS+=("$name")
    log "── $name failed (exit $rc) after $((SECONDS - started))s"
  else
    log "── $name ok after $((SECONDS - started))s"
  fi
  return $rc
}

# Adds the counts of a finished node test-runner step (its output in $2, its exit code in $3) to the
# totals. The counts come from the spec reporter's summary (`ℹ pass N`, `ℹ fail N`, `ℹ cancelled N`; the
# TAP `# pass N` form is accepted too); the last summary wins, since the spec reporter repeats failing
# tests after it.
count_test_step() {
  local name=$1 out=$2 rc=$3 started=$4
  local pass fail cancelled
  pass=$(grep -aE '^(ℹ|#) pass [0-9]+$' "$out" | tail -n1 | grep -oE '[0-9]+$')
  fail=$(grep -aE '^(ℹ|#) fail [0-9]+$' "$out" | tail -n1 | grep -oE '[0-9]+$')
  cancelled=$(grep -aE '^(ℹ|#) cancelled [0-9]+$' "$out" | tail -n1 | grep -oE '[0-9]+$')
  pass=${pass:-0}
  fail=$((${fail:-0} + ${cancelled:-0}))
  # A runner that died before its summary (no test file found, crash) still counts as a failure.
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    fail=1
  fi
  TOTAL_PASS=$((TOTAL_PASS + pass))
  TOTAL_FAIL=$((TOTAL_FAIL + fail))
  if [ "$rc" -ne 0 ]; then
    FAILED_STEPS+=("$name")
    log "── $name failed (exit $rc): $pass passed, $fail failed, $((SECONDS - started))s"
  else
    log "── $name ok: $pass passed, $fail failed, $((SECONDS - started))s"
  fi
}

step_log() { echo "$LOG_DIR/${1//[^a-zA-Z0-9]/_}.log"; }

# Runs a node test-runner step in the foreground, its output on stdout.
run_test_step() {
  local name=$1
  shift
  local out started=$SECONDS
  out=$(step_log "$name")
  log "── $name: $*"
  "$@" 2>&1 | tee "$out"
  count_test_step "$name" "$out" "${PIPESTATUS[0]}" "$started"
}

# The SQLite and PostgreSQL integration suites run side by side: each runs its files one at a time,
# and most of a file's time is spent waiting on child processes, sockets and timers, so two at once
# nearly halve the wall time on two cores. The first suite's output streams live (so the log never
# goes quiet); the others are printed whole when they end, so the log stays readable.
# CHARTHOUSE_TEST_SERIAL=1 runs them one after the other instead.
#
# The storage and API suites run on both databases. The suites that drive the server through real
# clients (browser, CLI, agent, helm) test its HTTP surfaces, which the API suites already run on both
# databases, so they run once: the browser on the PostgreSQL runner, the rest on the SQLite one, so
# both runners end at about the same time (about 8 minutes of a 25-minute budget saved). With one
# database only, its runner takes everything. New test folders run on both unless named here.
# The cluster suites (several servers on one database) exist only on PostgreSQL: never on SQLite, even
# when it runs alone (then the failed postgres-start step already says why they did not run).
ONCE_ON_POSTGRES='^test/(browser|cluster)/'
ONCE_ON_SQLITE='^test/(cli|agent|helm)/'
ONLY_ON_POSTGRES='^test/cluster/'
integration_files() {
  local name=$1 count=$2 all
  all=$(find test -path test/web -prune -o -path test/kube -prune -o -name '*.test.ts' -print | sort)
  if [ "$count" -lt 2 ] && [ "$name" = integration-sqlite ]; then
    echo "$all" | grep -Ev "$ONLY_ON_POSTGRES"
  elif [ "$count" -lt 2 ]; then
    echo "$all"
  elif [ "$name" = integration-postgres ]; then
    echo "$all" | grep -Ev "$ONCE_ON_SQLITE"
  else
    echo "$all" | grep -Ev "$ONCE_ON_POSTGRES"
  fi
}

run_integration() {
  local name=$1 count=$2
  # shellcheck disable=SC2046 # one word per test file
  CHARTHOUSE_TEST_DB=${name#integration-} node --import tsx --test --test-reporter=spec --test-concurrency=1 \
    $(integration_files "$name" "$count")
}

run_integration_suites() {
  local first=$1 name rc out started count=$#
  shift
  local -A pids=() starts=()
  if [ "${CHARTHOUSE_TEST_SERIAL:-}" = 1 ]; then
    for name in "$first" "$@"; do
      run_test_step "$name" run_integration "$name" "$count"
    done
    return
  fi
  for name in "$@"; do
    log "── $name: $(integration_files "$name" "$count" | wc -l) files (in the background; its output follows when it ends)"
    starts[$name]=$SECONDS
    run_integration "$name" "$count" >"$(step_log "$name")" 2>&1 &
    pids[$name]=$!
  done
  run_test_step "$first" run_integration "$first" "$count"
  for name in "$@"; do
    wait "${pids[$name]}"
    rc=$?
    out=$(step_log "$name")
    log "── $name output:"
    cat "$out"
    count_test_step "$name" "$out" "$rc" "${starts[$name]}"
  done
}

free_port() {
  node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# initdb refuses to run as root, so as root the cluster belongs to an unprivileged user.
start_throwaway_postgres() {
  local bindir owner port
  bindir=$(find_pg_bindir) || {
    log "PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package"
    return 1
  }
  PG_BINDIR=$bindir
  PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/charthouse-pg.XXXXXX")
  port=$(free_port) || return 1
  mkdir -p "$PG_TMP/socket"
  if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
    chown -R "$owner" "$PG_TMP"
    PG_OWNER_CMD=(runuser -u "$owner" --)
  fi
  local as_owner=("${PG_OWNER_CMD[@]}")
  log "starting throwaway PostgreSQL ($bindir) on 127.0.0.1:$port in $PG_TMP${owner:+ as $owner}"
  # cd: initdb and postgres complain when they cannot read the caller's cwd.
  (cd "$PG_TMP" && "${as_owner[@]}" "$bindir/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 \
    --locale=C --no-sync >"$PG_TMP/initdb.log" 2>&1) || {
    cat "$PG_TMP/initdb.log"
    return 1
  }
  # Durability settings off: the cluster lives only for this run.
  (cd "$PG_TMP" && "${as_owner[@]}" "$bindir/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-p $port -k $PG_TMP/socket -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null) || {
    cat "$PG_TMP/server.log"
    return 1
  }
  export CHARTHOUSE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

stop_throwaway_postgres() {
  [ -n "$PG_TMP" ] || return 0
  if [ -f "$PG_TMP/data/postmaster.pid" ]; then
    (cd "$PG_TMP" && "${PG_OWNER_CMD[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop \
      >/dev/null 2>&1) || true
  fi
  rm -rf "$PG_TMP"
  PG_TMP=""
}

started_all=$SECONDS
run_step install install_missing
# Integration, browser, CLI and agent tests run the built server, console and CLI (dist/).
run_step build npm run build
# The Kubernetes API test cluster, the real helm/kubectl against it and the agent's --apply end to end
# (on a SQLite server: what is tested is helm and the cluster, not the database), so once. It mostly
# waits on helm and kubectl processes, so it runs beside lint, typecheck and the unit tests (about 3
# minutes saved on two cores); its output follows when it ends.
kube_started=$SECONDS
log "── kube: npm run test:kube (in the background; its output follows when it ends)"
npm run test:kube >"$(step_log kube)" 2>&1 &
kube_pid=$!
run_step lint npm run lint
run_step typecheck npm run typecheck
run_test_step unit npm run test:unit
wait "$kube_pid"
kube_rc=$?
log "── kube output:"
cat "$(step_log kube)"
count_test_step kube "$(step_log kube)" "$kube_rc" "$kube_started"

suites=(integration-sqlite)
if [ -n "${CHARTHOUSE_TEST_DATABASE_URL:-}" ]; then
  log "PostgreSQL from CHARTHOUSE_TEST_DATABASE_URL"
  suites+=(integration-postgres)
elif run_step postgres-start start_throwaway_postgres; then
  suites+=(integration-postgres)
fi
run_integration_suites "${suites[@]}"

log "done in $((SECONDS - started_all))s in $ROOT"
if [ ${#FAILED_STEPS[@]} -gt 0 ]; then
  log "failed steps: ${FAILED_STEPS[*]}"
  # Steps that are not test runs (lint, typecheck, install, postgres start) count as one failure each.
  for step in "${FAILED_STEPS[@]}"; do
    case $step in unit | kube | integration-*) ;; *) TOTAL_FAIL=$((TOTAL_FAIL + 1)) ;; esac
  done
fi
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ ${#FAILED_STEPS[@]} -eq 0 ]
