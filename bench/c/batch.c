/* One jdy_member_save_batch call, timed.
 *
 *   batch CONFIG_JSON SEED_FILE FIRST_MOBILE COUNT OPTIONS_JSON OUT_FILE WARMUP
 *
 * Builds a JSON array of COUNT seed members with consecutive new mobiles, makes WARMUP single
 * saves first (token, connection), then times the batch call. Writes the batch envelope to
 * OUT_FILE and prints one JSON line with the wall time and this process's CPU. */
#include "common.h"
#include "jdy_member.h"

int main(int argc, char **argv) {
    if (argc != 8) die("usage: batch CONFIG_JSON SEED_FILE FIRST_MOBILE COUNT OPTIONS_JSON OUT_FILE WARMUP");
    const char *config = argv[1];
    Seed seed = seed_load(argv[2]);
    unsigned long long mobile = strtoull(argv[3], NULL, 10);
    long count = atol(argv[4]);
    const char *options = argv[5];
    const char *out_path = argv[6];
    long warmup = atol(argv[7]);

    char *error = NULL;
    JdyClient *client = jdy_client_new(config, &error);
    if (!client) {
        fprintf(stderr, "jdy_client_new failed: %s\n", error ? error : "(no envelope)");
        return 2;
    }
    char member[8192];
    for (long i = 0; i < warmup; i++) {
        seed_member(&seed, mobile++, member, sizeof member);
        char *env = jdy_member_save(client, member);
        if (!strstr(env, "\"ok\":true")) {
            fprintf(stderr, "warm-up save failed: %s\n", env);
            return 1;
        }
        jdy_string_free(env);
    }

    size_t cap = (size_t)count * 1024 + 16, len = 0;
    char *array = malloc(cap);
    if (!array) die("out of memory");
    array[len++] = '[';
    for (long i = 0; i < count; i++) {
        if (i) array[len++] = ',';
        len += (size_t)seed_member(&seed, mobile++, array + len, cap - len - 2);
    }
    array[len++] = ']';
    array[len] = '\0';

    double user0, sys0, user1, sys1;
    cpu_s(&user0, &sys0);
    double start = now_s();
    char *env = jdy_member_save_batch(client, array, options);
    double wall = now_s() - start;
    cpu_s(&user1, &sys1);

    FILE *out = fopen(out_path, "wb");
    if (!out) die("cannot write the envelope file");
    fputs(env, out);
    fclose(out);
    jdy_string_free(env);
    free(array);
    jdy_client_free(client);
    printf("{\"count\":%ld,\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f}\n",
           count, wall, user1 - user0, sys1 - sys0);
    return 0;
}
