#!/usr/bin/env bash
# Start-up benchmark: time from exec to the first printed event, and peak
# RSS, for a tracepoint one-liner while a background loop calls getppid.
#
#   bench/startup.sh [SCRY_BINARY] [RUNS]
#
# Defaults: target/release/scry (or $CARGO_TARGET_DIR/release/scry), 20 runs.
# Prints one line per run (first event ms, exit ms, peak RSS) and then
# median/min/max. With SCRY_TIMING=1 in the environment, scry's own phase
# marks (stderr) are printed for the last run, relative to the fork.
# Needs root (or CAP_BPF+CAP_PERFMON), gcc, and a release build of scry.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${CARGO_TARGET_DIR:-$here/target}/release/scry}
runs=${2:-20}
script=${SCRIPT:-'tracepoint:syscalls:sys_enter_getppid { printf("x\n"); exit(); }'}
[ -x "$bin" ] || { echo "no scry binary at $bin (cargo build --release)" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$loop_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
loop_pid=

# The workload: getppid() every 100 µs (a tight loop would take a CPU away
# from scry on small machines).
cat >"$work/loop.c" <<'C'
#include <unistd.h>
#include <sys/syscall.h>
int main(void) { for (;;) { syscall(SYS_getppid); usleep(100); } }
C

# The harness: fork+exec scry with stdout on a pipe, note the time of the
# first byte line "x", reap it with wait4 for ru_maxrss (peak RSS, KiB).
# SCRY_T0 carries the pre-fork CLOCK_MONOTONIC time (ns) to scry's
# SCRY_TIMING marks.
cat >"$work/harness.c" <<'C'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
static long long now(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
int main(int argc, char **argv) {
    int p[2]; char t0s[32], buf[4096];
    if (pipe(p)) return 2;
    long long t0 = now();
    snprintf(t0s, sizeof t0s, "%lld", t0);
    setenv("SCRY_T0", t0s, 1);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1); close(p[0]); close(p[1]);
        execv(argv[1], argv + 1); _exit(127);
    }
    close(p[1]);
    long long first = -1; size_t have = 0; ssize_t n;
    while ((n = read(p[0], buf + have, sizeof buf - 1 - have)) > 0) {
        have += n; buf[have] = 0;
        if (first < 0 && strstr(buf, "x\n")) first = now();
        if (have > sizeof buf / 2) have = 0;
    }
    int status; struct rusage ru;
    wait4(pid, &status, 0, &ru);
    long long end = now();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || first < 0) {
        fprintf(stderr, "run failed (status %d)\n", status); return 1;
    }
    printf("%.3f %.3f %ld\n", (first - t0) / 1e6, (end - t0) / 1e6, ru.ru_maxrss);
    return 0;
}
C
gcc -O2 -o "$work/loop" "$work/loop.c"
gcc -O2 -o "$work/harness" "$work/harness.c"

"$work/loop" & loop_pid=$!
sleep 0.1

# Warm the page cache and tracefs once.
SCRY_TIMING= "$work/harness" "$bin" -e "$script" >/dev/null

printf '%-6s %12s %12s %10s\n' run first_ms exit_ms rss_kib
: >"$work/results"
for i in $(seq 1 "$runs"); do
    if [ "$i" -eq "$runs" ]; then err="$work/timing"; else err=/dev/null; fi
    line=$("$work/harness" "$bin" -e "$script" 2>"$err")
    echo "$line" >>"$work/results"
    printf '%-6s %12s %12s %10s\n' "$i" $line
done

stats() { # column
    sort -n -k"$1","$1" "$work/results" | awk -v c="$1" '
        { v[NR] = $c }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "median %9.3f  min %9.3f  max %9.3f\n", m, v[1], v[NR] }'
}
echo "first event (ms): $(stats 1)"
echo "exit (ms):        $(stats 2)"
echo "peak RSS (KiB):   $(stats 3)"
if [ -n "${SCRY_TIMING:-}" ] && [ -s "$work/timing" ]; then
    echo "phases of the last run (SCRY_TIMING):"
    cat "$work/timing"
fi
