/* What a wake-up costs on this machine: a 1-byte round trip between two processes over a
 * socket pair, with the other process on the same CPU or on another one. Calibrates the
 * client CPU figures: every save is at least one such round trip.
 *
 *   pingpong CLIENT_CPU SERVER_CPU ROUND_TRIPS
 *
 * Prints one JSON line: wall and client CPU (user+sys) per round trip, in microseconds. */
#include "common.h"
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity failed");
}

int main(int argc, char **argv) {
    if (argc != 4) die("usage: pingpong CLIENT_CPU SERVER_CPU ROUND_TRIPS");
    int client_cpu = atoi(argv[1]), server_cpu = atoi(argv[2]);
    long n = atol(argv[3]);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) die("socketpair failed");
    char byte = 0;
    pid_t child = fork();
    if (child < 0) die("fork failed");
    if (child == 0) {
        pin(server_cpu);
        for (long i = 0; i < n; i++) {
            if (read(sv[1], &byte, 1) != 1 || write(sv[1], &byte, 1) != 1) _exit(1);
        }
        _exit(0);
    }
    pin(client_cpu);
    double user0, sys0, user1, sys1;
    cpu_s(&user0, &sys0);
    double start = now_s();
    for (long i = 0; i < n; i++) {
        if (write(sv[0], &byte, 1) != 1 || read(sv[0], &byte, 1) != 1) die("round trip failed");
    }
    double wall = now_s() - start;
    cpu_s(&user1, &sys1);
    int status = 0;
    waitpid(child, &status, 0);
    printf("{\"wall_us\":%.2f,\"cpu_us\":%.2f}\n", wall / (double)n * 1e6,
           (user1 - user0 + sys1 - sys0) / (double)n * 1e6);
    return 0;
}
