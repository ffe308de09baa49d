/* Sequential saves through the C ABI, for the side-by-side benchmark and the memory check.
 *
 *   save_loop CONFIG_JSON SEED_FILE FIRST_MOBILE WARMUP COUNT [CHECKPOINT...]
 *
 * Saves WARMUP members (token fetch, connection), then COUNT members with consecutive new
 * mobiles, timing each call. Prints one JSON line: wall time, this process's user and system
 * CPU over the COUNT saves, p50/p99 latency, and VmRSS after each CHECKPOINT saves (counted
 * from the first measured save) plus VmHWM at the end. Exit 1 if any save failed. */
#include "common.h"
#include "jdy_member.h"

int main(int argc, char **argv) {
    if (argc < 6) die("usage: save_loop CONFIG_JSON SEED_FILE FIRST_MOBILE WARMUP COUNT [CHECKPOINT...]");
    const char *config = argv[1];
    Seed seed = seed_load(argv[2]);
    unsigned long long mobile = strtoull(argv[3], NULL, 10);
    long warmup = atol(argv[4]);
    long count = atol(argv[5]);
    int ncheck = argc - 6;
    long *checks = calloc((size_t)ncheck + 1, sizeof *checks);
    long *rss = calloc((size_t)ncheck + 1, sizeof *rss);
    double *lat = malloc(sizeof(double) * (size_t)(count > 0 ? count : 1));
    if (!checks || !rss || !lat) die("out of memory");
    /* Touch every page now, so the latency array does not show up as growth later (a
     * non-zero value: malloc + memset(0) may become calloc, which leaves fresh pages alone). */
    for (long i = 0; i < count; i++) lat[i] = -1.0;
    for (int i = 0; i < ncheck; i++) checks[i] = atol(argv[6 + i]);

    char *error = NULL;
    JdyClient *client = jdy_client_new(config, &error);
    if (!client) {
        fprintf(stderr, "jdy_client_new failed: %s\n", error ? error : "(no envelope)");
        jdy_string_free(error);
        return 2;
    }
    char member[8192];
    long failures = 0;
    for (long i = 0; i < warmup; i++) {
        seed_member(&seed, mobile++, member, sizeof member);
        char *env = jdy_member_save(client, member);
        if (!strstr(env, "\"ok\":true")) {
            fprintf(stderr, "warm-up save failed: %s\n", env);
            jdy_string_free(env);
            return 1;
        }
        jdy_string_free(env);
    }

    double user0, sys0, user1, sys1;
    int next_check = 0;
    cpu_s(&user0, &sys0);
    double start = now_s();
    for (long i = 0; i < count; i++) {
        seed_member(&seed, mobile++, member, sizeof member);
        double t0 = now_s();
        char *env = jdy_member_save(client, member);
        lat[i] = now_s() - t0;
        if (!strstr(env, "\"ok\":true")) {
            if (failures++ == 0) fprintf(stderr, "save failed: %s\n", env);
        }
        jdy_string_free(env);
        while (next_check < ncheck && checks[next_check] == i + 1) {
            rss[next_check++] = status_kb("VmRSS");
        }
    }
    double wall = now_s() - start;
    cpu_s(&user1, &sys1);
    jdy_client_free(client);

    print_timing(count, failures, wall, user1 - user0, sys1 - sys0, lat);
    printf(",\"rss_kb\":[");
    for (int i = 0; i < next_check; i++) {
        printf("%s[%ld,%ld]", i ? "," : "", checks[i], rss[i]);
    }
    printf("],\"hwm_kb\":%ld}\n", status_kb("VmHWM"));
    return failures ? 1 : 0;
}
