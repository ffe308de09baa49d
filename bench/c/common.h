/* Shared helpers of the C benchmark programs: the seed member with a fresh mobile, clocks,
 * resource usage and resident memory. Header-only; each program is one translation unit. */
#ifndef JDY_BENCH_COMMON_H
#define JDY_BENCH_COMMON_H

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#define SEED_MOBILE "13333333333"

/* The seed member split around its mobile, so each save gets a new one cheaply. */
typedef struct {
    char *head; /* text before the mobile */
    const char *tail; /* text after it */
} Seed;

static inline void die(const char *what) {
    fprintf(stderr, "bench: %s\n", what);
    exit(2);
}

static inline Seed seed_load(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open the seed member file");
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *at = strstr(text, SEED_MOBILE);
    if (!at) die("the seed member has no mobile 13333333333");
    *at = '\0';
    Seed seed = {text, at + strlen(SEED_MOBILE)};
    return seed;
}

/* Writes the seed with `mobile` into buf (size cap); returns the length. */
static inline int seed_member(const Seed *seed, unsigned long long mobile, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "%s%llu%s", seed->head, mobile, seed->tail);
    if (n < 0 || (size_t)n >= cap) die("member buffer too small");
    return n;
}

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User and system CPU seconds of this process so far. */
static inline void cpu_s(double *user, double *sys) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1. */
static inline long status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    size_t len = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            kb = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

static inline int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of sorted values, nearest rank. */
static inline double quantile(const double *sorted, size_t n, double q) {
    if (n == 0) return 0.0;
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

/* Prints the timing fields every save benchmark reports, as the start of a JSON object
 * (`{"count":..,"p99_us":..`, no closing brace: the caller adds its own fields and `}`).
 * Sorts `lat` (seconds per save) in place. */
static inline void print_timing(long count, long failures, double wall, double user,
                                double sys, double *lat) {
    qsort(lat, (size_t)count, sizeof *lat, cmp_double);
    printf("{\"count\":%ld,\"failures\":%ld,\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,"
           "\"p50_us\":%.1f,\"p99_us\":%.1f",
           count, failures, wall, user, sys, quantile(lat, (size_t)count, 0.50) * 1e6,
           quantile(lat, (size_t)count, 0.99) * 1e6);
}

#endif
