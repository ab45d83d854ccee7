#!/usr/bin/env bash
# `make test`'s suite: the PostgreSQL + Redis pass and the embedded default (SQLite) pass at the
# same time, one pytest process each, so both cores work. The passes share nothing: each has its
# own database, Celery queue and temporary folder (tests/services.py, named after its process)
# and its own range of ports for the servers its tests start (tests/services.py's free_port).
#
# Each pass writes to its own log, printed whole when that pass ends, with its wall time and its
# CPU time; the exit status is non-zero when either pass fails. Ctrl-C or SIGTERM interrupts
# both pytests as Ctrl-C does one (each tears its session down: its database dropped, its worker
# and server processes stopped; tests/reaper.py kills what remains when a pytest dies).
# Arguments go to both pytests.
set -uo pipefail
set -m  # each pass in a process group of its own, so that it receives SIGINT (see stop)
cd "$(dirname "$0")/.."

PYTEST=${PYTEST:-.venv/bin/pytest}
logs=$(mktemp -d "${TMPDIR:-/tmp}/aktorskab-passes-XXXXXX")
declare -A name=([postgresql]="PostgreSQL + Redis" [sqlite]="embedded default (SQLite)")
declare -A pid=() started=()

stop() {
  trap - INT TERM
  echo "== interrupting both passes"
  # SIGINT first (pytest tears down); SIGTERM if a pass is still running after 30 s (e.g. when
  # SIGINT was ignored where this script started), then SIGKILL.
  for signal in INT TERM KILL; do
    for backend in "${!pid[@]}"; do kill -"$signal" -- "-${pid[$backend]}" 2>/dev/null; done
    for _ in $(seq 30); do
      jobs -r | grep -q . || break 2
      sleep 1
    done
  done
  wait
  for backend in "${!pid[@]}"; do tail -20 "$logs/$backend.log"; done
  rm -rf "$logs"
  exit 130
}
trap stop INT TERM

for backend in postgresql sqlite; do
  started[$backend]=$(date +%s)
  # The pass's CPU time (user + system, its children included): bash's `times` in its subshell.
  ( TEST_BACKEND=$backend "$PYTEST" "$@" >"$logs/$backend.log" 2>&1
    status=$?
    times >"$logs/$backend.times"
    exit $status ) &
  pid[$backend]=$!
  echo "== ${name[$backend]} pass started (log: $logs/$backend.log)"
done

cpu() {  # the children's line of `times`: "1m2.5s 0m3.1s" -> "65.6 s"
  tail -1 "$1" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }
                        printf "%.0f s", t }'
}

failed=0
summary=()
while ((${#pid[@]})); do
  wait -n -p done "${pid[@]}"
  status=$?
  for backend in "${!pid[@]}"; do
    [[ ${pid[$backend]} == "$done" ]] || continue
    unset "pid[$backend]"
    seconds=$(( $(date +%s) - started[$backend] ))
    echo
    echo "==================== ${name[$backend]} pass (TEST_BACKEND=$backend) ===================="
    cat "$logs/$backend.log"
    line="== ${name[$backend]} pass: $seconds s wall, $(cpu "$logs/$backend.times") CPU, exit $status"
    echo "$line"
    summary+=("$line")
    ((status)) && failed=1
  done
done
echo
printf '%s\n' "${summary[@]}"
rm -rf "$logs"
exit $failed
