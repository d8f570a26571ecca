/*
 * launch: time from exec to the first output line a tracer prints that
 * matches a pattern, then SIGINT, drain, reap.
 *
 *   launch TIMEOUT_MS PATTERN STDERR_FILE -- PROGRAM ARGS...
 *
 * PATTERN "=TEXT" matches a line equal to TEXT; anything else matches a
 * line containing it. The tracer's stdout is a pseudo-terminal (as for a
 * user at a terminal: stdio is line-buffered there), stderr goes to
 * STDERR_FILE, stdin is /dev/null.
 *
 * Prints one line:  first_ms exit_ms maxrss_kib status lines
 *   first_ms  fork -> matching line read (-1: none before the timeout)
 *   exit_ms   fork -> the tracer reaped (after SIGINT at the match,
 *             repeated every second until it exits; SIGKILL after 10 s)
 *   maxrss_kib  the tracer's peak RSS (wait4 rusage)
 *   status    its wait status; lines: output lines read
 * Exit code 0 when a line matched, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int matches(const char *line, const char *pat) {
    if (pat[0] == '=') return strcmp(line, pat + 1) == 0;
    return strstr(line, pat) != NULL;
}

int main(int argc, char **argv) {
    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: launch TIMEOUT_MS PATTERN STDERR_FILE -- PROGRAM ARGS...\n");
        return 2;
    }
    long long timeout_ns = atoll(argv[1]) * 1000000LL;
    const char *pat = argv[2];

    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master)) { perror("pty"); return 2; }
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    if (slave < 0) { perror("pty slave"); return 2; }
    struct termios tio;
    if (tcgetattr(slave, &tio) == 0) { cfmakeraw(&tio); tcsetattr(slave, TCSANOW, &tio); }
    int err = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_RDONLY);
    if (err < 0 || null < 0) { perror("open"); return 2; }

    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) {
        dup2(null, 0); dup2(slave, 1); dup2(err, 2);
        close(master); close(slave); close(err); close(null);
        execvp(argv[5], argv + 5);
        _exit(127);
    }
    close(slave); close(err); close(null);

    char line[8192]; size_t len = 0;
    long long first = -1, interrupted = 0, resent = 0, lines = 0;
    for (;;) {
        long long t = now_ns();
        long long deadline = interrupted ? interrupted + 10000000000LL : t0 + timeout_ns;
        if (t >= deadline) {
            if (!interrupted) { kill(pid, SIGINT); interrupted = resent = t; continue; }
            kill(pid, SIGKILL);
            break;
        }
        /* A SIGINT that lands while a tracer is still setting up can be
         * lost (bpftrace 0.17 does that): repeat it every second. */
        if (interrupted && t - resent >= 1000000000LL) { kill(pid, SIGINT); resent = t; }
        if (interrupted && deadline > resent + 1000000000LL) deadline = resent + 1000000000LL;
        struct pollfd pfd = { master, POLLIN, 0 };
        int r = poll(&pfd, 1, (int)((deadline - t) / 1000000 + 1));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char buf[4096];
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0) break; /* EIO: every writer of the pty is gone */
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            if (c == '\r') continue;
            if (c != '\n') { if (len < sizeof line - 1) line[len++] = c; continue; }
            line[len] = 0; len = 0; lines++;
            if (first < 0 && matches(line, pat)) {
                first = now_ns();
                kill(pid, SIGINT);
                interrupted = resent = first;
            }
        }
    }
    int status = 0; struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    long long end = now_ns();
    printf("%.3f %.3f %ld %d %lld\n", first < 0 ? -1.0 : (first - t0) / 1e6,
           (end - t0) / 1e6, ru.ru_maxrss, status, lines);
    return first < 0;
}
