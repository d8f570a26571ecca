/*
 * workload: the events the benchmarks trigger.
 *
 *   workload getppid N         N getppid() calls
 *   workload open N PATH       N open(PATH)+close
 *   workload pingpong N        N one-byte round trips between two processes
 *                              over two pipes (sched_wakeup + sched_switch)
 *   workload loop-getppid      getppid() every 100 us, forever
 *   workload loop-open PATH    open(PATH)+close every 100 us, forever
 *
 * The counted workloads print "elapsed_ns pid" on stdout when done.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void open_close(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) close(fd);
}

static void pingpong(long n) {
    int a[2], b[2];
    char c = 0;
    if (pipe(a) || pipe(b)) { perror("pipe"); exit(2); }
    pid_t pid = fork();
    if (pid == 0) {
        close(a[1]); close(b[0]);
        while (read(a[0], &c, 1) == 1)
            if (write(b[1], &c, 1) != 1) break;
        _exit(0);
    }
    close(a[0]); close(b[1]);
    for (long i = 0; i < n; i++)
        if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) { perror("pingpong"); exit(2); }
    close(a[1]);
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv) {
    if (argc < 2) goto usage;
    const char *what = argv[1];
    if (!strcmp(what, "loop-getppid")) {
        for (;;) { syscall(SYS_getppid); usleep(100); }
    }
    if (!strcmp(what, "loop-open") && argc == 3) {
        for (;;) { open_close(argv[2]); usleep(100); }
    }
    if (argc < 3) goto usage;
    long n = atol(argv[2]);
    long long t0 = now_ns();
    if (!strcmp(what, "getppid")) {
        for (long i = 0; i < n; i++) syscall(SYS_getppid);
    } else if (!strcmp(what, "open") && argc == 4) {
        for (long i = 0; i < n; i++) open_close(argv[3]);
    } else if (!strcmp(what, "pingpong")) {
        pingpong(n);
    } else {
        goto usage;
    }
    printf("%lld %d\n", now_ns() - t0, (int)getpid());
    return 0;
usage:
    fprintf(stderr, "usage: workload getppid|open|pingpong N [PATH] | loop-getppid | loop-open PATH\n");
    return 2;
}
