/*
 * The C API of jdy_member, called from C the way a till calls it.
 *
 * Build (scripts/test-native does this; -m32 for the 32-bit build, MinGW for Windows, where
 * -lws2_32 is needed too for the sandbox controls):
 *   cc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/test_jdy_member.c \
 *      -Ltarget/release -ljdy_member -pthread -o test_jdy_member
 * Run with JDY_TEST_CONFIG set to the sandbox gateway's configuration (the "config" object
 * printed by `jdy-member sandbox --port 0`, or the path of a file holding it).
 * JDY_TEST_EXPECT_VERSION, when set, is compared with jdy_version().
 *
 * Every returned string is freed with jdy_string_free and every client with
 * jdy_client_free, so valgrind reports no leak. The last line printed is "N passed, M failed".
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <winsock2.h> /* before windows.h, for sandbox_control.h */
#include <windows.h>
#else
#include <pthread.h>
#endif

#include "jdy_member.h"
#include "check.h"
#include "sandbox_control.h"

/* 会员A as UTF-8 bytes, so the test means the same bytes whatever the compiler's source
 * character set ("A" is a separate literal: "\x98A" would be one hex escape). */
#define NAME_A "\xe4\xbc\x9a\xe5\x91\x98" "A"
/* 备注 */
#define REMARK "\xe5\xa4\x87\xe6\xb3\xa8"
/* 张三 */
#define ZHANG_SAN "\xe5\xbc\xa0\xe4\xb8\x89"

/* What member_detail answers for the seed member: "key":value in compact JSON. */
static const char *const DETAIL_FIELDS[] = {
    "\"id\":\"",
    "\"mobile\":\"13333333333\"",
    "\"name\":\"" NAME_A "\"",
    "\"card_no\":\"1\"",
    "\"card_id\":\"1\"",
    "\"usable\":",
    "\"available\":",
};
#define DETAIL_COUNT (sizeof DETAIL_FIELDS / sizeof DETAIL_FIELDS[0])

/* What its member list row shows: the saved fields under the list's names. */
static const char *const ROW_FIELDS[] = {
    "\"mobile\":\"13333333333\"",
    "\"address\":\"410\"",
    "\"detail_address\":\"XXX\"",
    "\"birthday\":\"2022-08-01\"",
    "\"remark\":\"" REMARK "\"",
    "\"shop_id\":\"850693217107061760\"",
    "\"level_id\":\"1\"",
    "\"customer_id\":\"001\"",
    "\"mb_card_id\":\"1\"",
    "\"referreremp_id\":\"1\"",
    "\"sex_group\":\"1\"",
    "\"source\":\"1\"",
};
#define ROW_COUNT (sizeof ROW_FIELDS / sizeof ROW_FIELDS[0])

/* The member from the API spec's example (examples/seed-member.json), field by field as the
 * gateway stores and returns it: "key":value in compact JSON. */
static const char *const SEED_FIELDS[] = {
    "\"address\":\"410\"",
    "\"birthday\":\"2022-08-01\"",
    "\"custom_no\":\"1\"",
    "\"customer\":\"001\"",
    "\"detail_address\":\"XXX\"",
    "\"enable\":\"1\"",
    "\"end_date\":\"2022-01-01\"",
    "\"is_delete\":\"0\"",
    "\"join_way\":\"1\"",
    "\"label\":null",
    "\"level\":\"1\"",
    "\"mbcard_id\":\"1\"",
    "\"mobile\":\"13333333333\"",
    "\"name\":\"" NAME_A "\"",
    "\"period\":\"1\"",
    "\"referrere_mp\":\"1\"",
    "\"remark\":\"" REMARK "\"",
    "\"sale_shop\":\"1\"",
    "\"sex_group\":\"1\"",
    "\"shop\":\"850693217107061760\"",
    "\"source\":\"1\"",
    "\"start_date\":\"2022-01-01\"",
};
#define SEED_COUNT (sizeof SEED_FIELDS / sizeof SEED_FIELDS[0])

/* The seed member as one JSON object, malloc'd. */
static char *seed_member(void)
{
    size_t i, len = 3;
    char *json;
    for (i = 0; i < SEED_COUNT; i++) {
        len += strlen(SEED_FIELDS[i]) + 1;
    }
    json = (char *)malloc(len);
    if (json == NULL) {
        return NULL;
    }
    strcpy(json, "{");
    for (i = 0; i < SEED_COUNT; i++) {
        if (i > 0) {
            strcat(json, ",");
        }
        strcat(json, SEED_FIELDS[i]);
    }
    strcat(json, "}");
    return json;
}

/* --- offline ---------------------------------------------------------------------------- */

static void test_version(void)
{
    const char *version = jdy_version();
    const char *expected = getenv("JDY_TEST_EXPECT_VERSION");
    int dots = 0;
    const char *p;
    CHECK(version != NULL, "jdy_version() returned NULL");
    if (version == NULL) {
        return;
    }
    for (p = version; *p != '\0'; p++) {
        if (*p == '.') {
            dots++;
        }
    }
    CHECK(version[0] >= '0' && version[0] <= '9' && dots >= 2, "version \"%s\"", version);
    CHECK(version == jdy_version(), "the version string is static");
    if (expected != NULL && expected[0] != '\0') {
        CHECK(strcmp(version, expected) == 0, "got \"%s\", Cargo.toml says \"%s\"", version, expected);
    }
}

static void test_validate_good(void)
{
    char *seed = seed_member();
    char *envelope = jdy_member_validate(seed);
    size_t i;
    CHECK(env_ok(envelope), "%s", show(envelope));
    CHECK(contains(envelope, "\"name\":\"" NAME_A "\""), "name kept byte for byte: %s", show(envelope));
    for (i = 0; i < SEED_COUNT; i++) {
        /* label null is left out of what would be sent; everything else is there as given */
        if (strcmp(SEED_FIELDS[i], "\"label\":null") != 0) {
            CHECK(contains(envelope, SEED_FIELDS[i]), "%s missing from %s", SEED_FIELDS[i], show(envelope));
        }
    }
    jdy_string_free(envelope);
    free(seed);

    /* normalisation: +86 and hyphens stripped, integer codes become strings */
    envelope = jdy_member_validate("{\"mobile\":\"+86 133-3333-3333\",\"name\":\"" ZHANG_SAN "\",\"sex_group\":1}");
    CHECK(env_ok(envelope), "%s", show(envelope));
    CHECK(strcmp(show(envelope),
                 "{\"ok\":true,\"data\":{\"mobile\":\"13333333333\",\"name\":\"" ZHANG_SAN "\",\"sex_group\":\"1\"}}") == 0,
          "normalised: %s", show(envelope));
    jdy_string_free(envelope);
}

static void test_validate_bad(void)
{
    static const char *const fields[] = {"mobile", "name", "sex_group", "birthday", "referrer_mp"};
    char needle[64];
    size_t i;
    char *envelope = jdy_member_validate(
        "{\"mobile\":\"1391234\",\"name\":\"  \",\"sex_group\":3,\"birthday\":\"2022-02-30\",\"referrer_mp\":\"1\"}");
    CHECK(env_kind_is(envelope, "validation"), "%s", show(envelope));
    for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        sprintf(needle, "{\"field\":\"%s\",", fields[i]);
        CHECK(contains(envelope, needle), "field %s not named in %s", fields[i], show(envelope));
    }
    CHECK(count_of(envelope, "{\"field\":") == 5, "exactly the 5 bad fields: %s", show(envelope));
    CHECK(contains(envelope, "did you mean `referrere_mp`?"), "suggestion: %s", show(envelope));
    CHECK(contains(envelope, "\"retryable\":false"), "%s", show(envelope));
    CHECK(!contains(envelope, "1391234"), "the mobile number is never echoed: %s", show(envelope));
    jdy_string_free(envelope);

    /* mobile and name are required */
    envelope = jdy_member_validate("{}");
    CHECK(env_kind_is(envelope, "validation"), "%s", show(envelope));
    CHECK(contains(envelope, "{\"field\":\"mobile\",") && contains(envelope, "{\"field\":\"name\","), "%s", show(envelope));
    jdy_string_free(envelope);
}

static void test_invalid_arguments(void)
{
    /* GBK bytes of 会员 (what a Chinese Windows till has before converting to UTF-8) */
    static const char gbk[] = "{\"mobile\":\"13333333333\",\"name\":\"\xbb\xe1\xd4\xb1\"}";
    static const char *const not_objects[] = {"", "not json", "[1,2]", "\"text\"", "{\"mobile\":"};
    char *envelope;
    char *error = NULL;
    size_t i;
    JdyClient *client;

    envelope = jdy_member_validate(NULL);
    CHECK(env_kind_is(envelope, "invalid_argument"), "validate(NULL): %s", show(envelope));
    CHECK(contains(envelope, "NULL"), "the message says what was NULL: %s", show(envelope));
    jdy_string_free(envelope);

    envelope = jdy_member_save(NULL, "{\"mobile\":\"13333333333\",\"name\":\"x\"}");
    CHECK(env_kind_is(envelope, "invalid_argument"), "save(NULL client): %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_get(NULL, "{\"mobile\":\"13333333333\"}");
    CHECK(env_kind_is(envelope, "invalid_argument"), "get(NULL client): %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_list(NULL, "{}");
    CHECK(env_kind_is(envelope, "invalid_argument"), "list(NULL client): %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_save_batch(NULL, "[]", NULL);
    CHECK(env_kind_is(envelope, "invalid_argument"), "save_batch(NULL client): %s", show(envelope));
    jdy_string_free(envelope);

    client = jdy_client_new(NULL, &error);
    CHECK(client == NULL, "client_new(NULL) made a client");
    CHECK(env_kind_is(error, "invalid_argument"), "client_new(NULL): %s", show(error));
    jdy_string_free(error);
    jdy_client_free(client);

    envelope = jdy_member_validate(gbk);
    CHECK(env_kind_is(envelope, "invalid_argument"), "GBK bytes: %s", show(envelope));
    CHECK(contains(envelope, "UTF-8"), "the message says UTF-8: %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_validate("{\"mobile\":\"13333333333\",\"name\":\"\xff\xfe\"}");
    CHECK(env_kind_is(envelope, "invalid_argument"), "bytes ff fe: %s", show(envelope));
    jdy_string_free(envelope);

    for (i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++) {
        envelope = jdy_member_validate(not_objects[i]);
        CHECK(env_kind_is(envelope, "invalid_argument"), "validate(%s): %s", not_objects[i], show(envelope));
        jdy_string_free(envelope);
    }

    /* freeing NULL does nothing */
    jdy_string_free(NULL);
    jdy_client_free(NULL);
}

static void test_client_new_bad_config(void)
{
    char *error = NULL;
    JdyClient *client = jdy_client_new("{\"client_id\":\"fake\",\"client_idd\":\"x\"}", &error);
    CHECK(client == NULL, "an incomplete configuration made a client");
    CHECK(env_kind_is(error, "config"), "%s", show(error));
    CHECK(contains(error, "did you mean `client_id`?"), "suggestion: %s", show(error));
    CHECK(contains(error, "`client_secret` is required"), "every problem listed: %s", show(error));
    jdy_string_free(error);
    jdy_client_free(client);

    error = NULL;
    client = jdy_client_new("{not json", &error);
    CHECK(client == NULL && error != NULL, "not JSON");
    CHECK(env_kind_is(error, "invalid_argument") || env_kind_is(error, "config"), "%s", show(error));
    jdy_string_free(error);

    /* error_json may be NULL: nothing is stored, nothing leaks (valgrind checks) */
    client = jdy_client_new("{\"client_id\":\"fake\"}", NULL);
    CHECK(client == NULL, "an incomplete configuration made a client");
    client = jdy_client_new(NULL, NULL);
    CHECK(client == NULL, "NULL configuration made a client");
}

/* --- against the sandbox gateway ---------------------------------------------------------- */

static JdyClient *new_client(const char *config)
{
    char *error = (char *)"sentinel: must be overwritten with NULL on success";
    JdyClient *client = jdy_client_new(config, &error);
    CHECK(client != NULL, "jdy_client_new refused the sandbox configuration: %s", show(error));
    if (client == NULL) {
        jdy_string_free(error);
        return NULL;
    }
    CHECK(error == NULL, "error_json is set to NULL on success");
    return client;
}

/* With a live client: NULL and non-UTF-8 input are refused before anything is sent. */
static void test_invalid_arguments_with_client(JdyClient *client)
{
    char *envelope = jdy_member_save(client, NULL);
    CHECK(env_kind_is(envelope, "invalid_argument"), "save(client, NULL): %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_get(client, NULL);
    CHECK(env_kind_is(envelope, "invalid_argument"), "get(client, NULL): %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_list(client, NULL);
    CHECK(env_kind_is(envelope, "invalid_argument"), "list(client, NULL): %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_save(client, "{\"mobile\":\"13333333333\",\"name\":\"\xbb\xe1\xd4\xb1\"}");
    CHECK(env_kind_is(envelope, "invalid_argument"), "save of GBK bytes: %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_get(client, "{\"mobile\":\"\xff\"}");
    CHECK(env_kind_is(envelope, "invalid_argument"), "get with byte ff: %s", show(envelope));
    jdy_string_free(envelope);
}

static void test_seed_member_round_trip(JdyClient *client)
{
    char *seed = seed_member();
    char *saved = jdy_member_save(client, seed);
    char *by_mobile, *by_id, *formatted, *missing;
    char query[96];
    const char *id;
    size_t i, id_len = 0;

    CHECK(env_ok(saved), "save: %s", show(saved));
    CHECK(contains(saved, "\"name\":\"" NAME_A "\""), "%s", show(saved));
    CHECK(contains(saved, "\"mobile\":\"13333333333\""), "%s", show(saved));
    id = strstr(show(saved), "\"id\":\"");
    CHECK(id != NULL, "the answer has an id: %s", show(saved));
    if (id != NULL) {
        id += 6;
        id_len = strcspn(id, "\"");
        CHECK(id_len > 0 && id_len < 40, "id: %s", show(saved));
    }

    /* read back: detail answers its eight fields (Kingdee's documented shape), the mobile
     * decrypted and the Chinese name byte for byte; the list row shows the rest under the
     * list's own names */
    by_mobile = jdy_member_get(client, "{\"mobile\":\"13333333333\"}");
    CHECK(env_ok(by_mobile), "get: %s", show(by_mobile));
    for (i = 0; i < DETAIL_COUNT; i++) {
        CHECK(contains(by_mobile, DETAIL_FIELDS[i]), "%s not read back: %s", DETAIL_FIELDS[i], show(by_mobile));
    }
    if (id != NULL && id_len > 0 && id_len < 40) {
        char *row;
        sprintf(query, "{\"id\":\"%.*s\"}", (int)id_len, id);
        row = jdy_member_list(client, query);
        for (i = 0; i < ROW_COUNT; i++) {
            CHECK(contains(row, ROW_FIELDS[i]), "%s not in the list row: %s", ROW_FIELDS[i], show(row));
        }
        jdy_string_free(row);
    }
    if (id != NULL && id_len > 0 && id_len < 40) {
        sprintf(query, "{\"id\":\"%.*s\"}", (int)id_len, id);
        by_id = jdy_member_get(client, query);
        CHECK(env_ok(by_id), "get by id: %s", show(by_id));
        CHECK(contains(by_id, "\"mobile\":\"13333333333\""), "%s", show(by_id));
        CHECK(by_mobile != NULL && by_id != NULL && strcmp(by_mobile, by_id) == 0,
              "by id and by mobile read the same member:\n%s\n%s", show(by_mobile), show(by_id));
        jdy_string_free(by_id);
    }

    /* a mobile written the way people write it finds the same member */
    formatted = jdy_member_get(client, "{\"mobile\":\"+86 133-3333-3333\"}");
    CHECK(env_ok(formatted) && contains(formatted, "\"name\":\"" NAME_A "\""), "%s", show(formatted));
    jdy_string_free(formatted);

    /* a member that does not exist reads back as data null */
    missing = jdy_member_get(client, "{\"mobile\":\"19999999990\"}");
    CHECK(strcmp(show(missing), "{\"ok\":true,\"data\":null}") == 0, "%s", show(missing));
    jdy_string_free(missing);

    jdy_string_free(by_mobile);
    jdy_string_free(saved);
    free(seed);
}

static void test_list(JdyClient *client)
{
    char *page = jdy_member_list(client, "{\"page\":1,\"page_size\":100}");
    char *filtered, *bad;
    CHECK(env_ok(page), "list: %s", show(page));
    CHECK(contains(page, "\"count\":") && contains(page, "\"rows\":["), "%s", show(page));
    CHECK(contains(page, "\"page_size\":100"), "%s", show(page));
    CHECK(contains(page, "\"name\":\"" NAME_A "\""), "the seed member is listed: %s", show(page));
    jdy_string_free(page);

    /* 会员 */
    filtered = jdy_member_list(client, "{\"name\":\"\xe4\xbc\x9a\xe5\x91\x98\"}");
    CHECK(env_ok(filtered), "%s", show(filtered));
    CHECK(contains(filtered, "\"name\":\"" NAME_A "\""), "%s", show(filtered));
    CHECK(!contains(filtered, "\"name\":\"" ZHANG_SAN "\""), "filtered by name: %s", show(filtered));
    jdy_string_free(filtered);

    bad = jdy_member_list(client, "{\"page_size\":101}");
    CHECK(env_kind_is(bad, "validation"), "page_size 101: %s", show(bad));
    jdy_string_free(bad);
}

#define BATCH_SIZE 20

static void test_batch(JdyClient *client)
{
    char members[BATCH_SIZE * 96 + 16];
    char member[96];
    char *envelope;
    const char *p;
    int i, flags[BATCH_SIZE + 1], n = 0;

    strcpy(members, "[");
    for (i = 0; i < BATCH_SIZE; i++) {
        if (i == 5) {
            sprintf(member, "{\"mobile\":\"12345\",\"name\":\"" ZHANG_SAN "%d\"}", i); /* bad mobile */
        } else if (i == 13) {
            sprintf(member, "{\"mobile\":\"1390000%04d\",\"name\":\" \"}", 2000 + i); /* blank name */
        } else {
            sprintf(member, "{\"mobile\":\"1390000%04d\",\"name\":\"" ZHANG_SAN "%d\"}", 2000 + i, i);
        }
        strcat(members, i == 0 ? "" : ",");
        strcat(members, member);
    }
    strcat(members, "]");

    envelope = jdy_member_save_batch(client, members, "{\"concurrency\":4}");
    CHECK(env_ok(envelope), "batch: %s", show(envelope));
    CHECK(contains(envelope, "\"saved\":18"), "18 saved: %s", show(envelope));
    CHECK(contains(envelope, "\"refused\":2"), "2 refused: %s", show(envelope));
    CHECK(contains(envelope, "\"failed\":0"), "0 failed: %s", show(envelope));

    /* results are in input order: the envelope's own "ok" comes first, then each result
     * envelope begins with its own {"ok": */
    for (p = show(envelope); (p = strstr(p, "{\"ok\":")) != NULL && n <= BATCH_SIZE; p += 6) {
        flags[n++] = strncmp(p, "{\"ok\":true", 10) == 0;
    }
    CHECK(n == BATCH_SIZE + 1 && count_of(envelope, "{\"ok\":") == BATCH_SIZE + 1,
          "1 envelope + %d results: %s", n - 1, show(envelope));
    if (n == BATCH_SIZE + 1) {
        CHECK(flags[0], "the batch itself is ok: %s", show(envelope));
        for (i = 0; i < BATCH_SIZE; i++) {
            CHECK(flags[i + 1] == (i != 5 && i != 13), "result %d is %s", i, flags[i + 1] ? "ok" : "not ok");
        }
    }
    CHECK(count_of(envelope, "\"kind\":\"validation\"") == 2, "%s", show(envelope));
    jdy_string_free(envelope);

    /* NULL options are the defaults; a bad option is refused as a whole */
    envelope = jdy_member_save_batch(client, "[{\"mobile\":\"13900002100\",\"name\":\"" ZHANG_SAN "\"}]", NULL);
    CHECK(env_ok(envelope) && contains(envelope, "\"saved\":1"), "%s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_save_batch(client, "[]", "{\"concurrency\":0}");
    CHECK(env_failed(envelope), "concurrency 0: %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_save_batch(client, "{\"mobile\":\"13900002100\"}", NULL);
    CHECK(env_kind_is(envelope, "invalid_argument"), "not an array: %s", show(envelope));
    jdy_string_free(envelope);
    envelope = jdy_member_save_batch(client, NULL, NULL);
    CHECK(env_kind_is(envelope, "invalid_argument"), "NULL list: %s", show(envelope));
    jdy_string_free(envelope);
}

/* --- threads: one client shared by 4 threads ----------------------------------------------- */

#define THREADS 4
#define SAVES_PER_THREAD 5

struct worker {
    JdyClient *client;
    int index;
    int saved;    /* saves that were ok */
    int read;     /* reads that found the member with its name */
    char first_error[512];
};

static void worker_run(struct worker *w)
{
    char member[128], query[64], name[32];
    char *envelope;
    int i;
    for (i = 0; i < SAVES_PER_THREAD; i++) {
        long mobile_tail = 3000L + w->index * 100L + i;
        sprintf(name, ZHANG_SAN "-t%d-%d", w->index, i);
        sprintf(member, "{\"mobile\":\"1390000%04ld\",\"name\":\"%s\",\"sex_group\":2}", mobile_tail, name);
        envelope = jdy_member_save(w->client, member);
        if (env_ok(envelope)) {
            w->saved++;
        } else if (w->first_error[0] == '\0') {
            sprintf(w->first_error, "%.500s", show(envelope));
        }
        jdy_string_free(envelope);

        sprintf(query, "{\"mobile\":\"1390000%04ld\"}", mobile_tail);
        envelope = jdy_member_get(w->client, query);
        sprintf(member, "\"name\":\"%s\"", name);
        if (env_ok(envelope) && contains(envelope, member)) {
            w->read++;
        } else if (w->first_error[0] == '\0') {
            sprintf(w->first_error, "%.500s", show(envelope));
        }
        jdy_string_free(envelope);
    }
}

#ifdef _WIN32
static DWORD WINAPI worker_main(LPVOID arg)
{
    worker_run((struct worker *)arg);
    return 0;
}
#else
static void *worker_main(void *arg)
{
    worker_run((struct worker *)arg);
    return NULL;
}
#endif

static void test_threads(JdyClient *client)
{
    struct worker workers[THREADS];
    int i, started = 0;
#ifdef _WIN32
    HANDLE handles[THREADS];
#else
    pthread_t handles[THREADS];
#endif
    memset(workers, 0, sizeof workers);
    for (i = 0; i < THREADS; i++) {
        workers[i].client = client;
        workers[i].index = i;
#ifdef _WIN32
        handles[i] = CreateThread(NULL, 0, worker_main, &workers[i], 0, NULL);
        CHECK(handles[i] != NULL, "CreateThread %d", i);
        if (handles[i] == NULL) {
            break;
        }
#else
        {
            int rc = pthread_create(&handles[i], NULL, worker_main, &workers[i]);
            CHECK(rc == 0, "pthread_create %d: %d", i, rc);
            if (rc != 0) {
                break;
            }
        }
#endif
        started++;
    }
    for (i = 0; i < started; i++) {
#ifdef _WIN32
        WaitForSingleObject(handles[i], INFINITE);
        CloseHandle(handles[i]);
#else
        pthread_join(handles[i], NULL);
#endif
    }
    for (i = 0; i < started; i++) {
        CHECK(workers[i].saved == SAVES_PER_THREAD && workers[i].read == SAVES_PER_THREAD,
              "thread %d: %d saved, %d read back; first error %s", i, workers[i].saved, workers[i].read,
              workers[i].first_error);
    }
}

/* --- errors from the gateway and the network ----------------------------------------------- */

static void test_wrong_client_secret(const char *config)
{
    char *wrong = replace_once(config, "\"client_secret\":\"", "\"client_secret\":\"wrong-fake-secret-123");
    JdyClient *client;
    char *envelope;
    if (wrong == NULL) { /* pretty-printed JSON */
        wrong = replace_once(config, "\"client_secret\": \"", "\"client_secret\": \"wrong-fake-secret-123");
    }
    CHECK(wrong != NULL, "the configuration has a client_secret: %s", config);
    if (wrong == NULL) {
        return;
    }
    client = new_client(wrong);
    if (client != NULL) {
        envelope = jdy_member_save(client, "{\"mobile\":\"13900009999\",\"name\":\"" ZHANG_SAN "\"}");
        CHECK(env_kind_is(envelope, "auth"), "%s", show(envelope));
        CHECK(contains(envelope, "\"errcode\":4008"), "%s", show(envelope));
        CHECK(contains(envelope, "\"http_status\":519"), "%s", show(envelope));
        CHECK(contains(envelope, "\"retryable\":false"), "%s", show(envelope));
        CHECK(!contains(envelope, "wrong-fake-secret-123") && !contains(envelope, "-not-real"),
              "no secret in the envelope: %s", show(envelope));
        jdy_string_free(envelope);
        jdy_client_free(client);
    }
    free(wrong);
}

static void test_network_error(void)
{
    /* nothing listens on port 1: connection refused, a retryable network error */
    JdyClient *client = new_client(
        "{\"client_id\":\"fake-id\",\"client_secret\":\"fake-secret\",\"app_key\":\"fake-key\","
        "\"app_secret\":\"fake-app-secret\",\"domain\":\"https://tf.jdy.com\","
        "\"base_url\":\"http://127.0.0.1:1\",\"connect_timeout_ms\":2000,\"timeout_ms\":5000}");
    char *envelope;
    if (client == NULL) {
        return;
    }
    envelope = jdy_member_get(client, "{\"mobile\":\"13333333333\"}");
    CHECK(env_kind_is(envelope, "network") || env_kind_is(envelope, "timeout"), "%s", show(envelope));
    CHECK(contains(envelope, "\"retryable\":true"), "%s", show(envelope));
    jdy_string_free(envelope);
    jdy_client_free(client);
}

/* A save whose answer is lost after the gateway applied it (the sandbox drops the
 * connection): the library looks the member up, finds it stored as sent, and says so with
 * ,"recovered":true at the end of a success envelope. */
static void test_recovered_save(JdyClient *client, const char *config)
{
    int port = sandbox_port(config);
    int status;
    char *envelope;
    CHECK(port > 0, "the configuration names the sandbox's base_url: %s", config);
    if (port <= 0) {
        return;
    }
    status = sandbox_post(port, "/__sandbox/faults",
                          "{\"path\":\"/jdy/v2/ls/member\",\"method\":\"POST\","
                          "\"fault\":{\"kind\":\"drop_after_processing\"}}");
    CHECK(status == 200, "the fault is injected (HTTP %d)", status);
    envelope = jdy_member_save(client, "{\"mobile\":\"13900007777\",\"name\":\"" ZHANG_SAN "\"}");
    CHECK(env_ok(envelope), "a recovered save is a success: %s", show(envelope));
    CHECK(env_recovered(envelope), "and says it was recovered: %s", show(envelope));
    CHECK(contains(envelope, "\"mobile\":\"13900007777\""), "%s", show(envelope));
    jdy_string_free(envelope);
}

/* 南京西路店, the sandbox's seeded store MD001, and 金卡, a seeded member level. */
#define NANJING_ROAD "\xe5\x8d\x97\xe4\xba\xac\xe8\xa5\xbf\xe8\xb7\xaf\xe5\xba\x97"
#define GOLD_CARD "\xe9\x87\x91\xe5\x8d\xa1"

/* Any JDY endpoint through the same signed client: stores and levels, and a path that is
 * not a JDY business API refused before anything is sent. */
static void test_call(JdyClient *client)
{
    char *stores = jdy_call(client, "{\"method\":\"GET\",\"path\":\"/jdy/v2/ls/store\","
                                    "\"query\":{\"page\":1}}");
    char *levels = jdy_call(client, "{\"method\":\"GET\",\"path\":\"/jdy/v2/ls/mb_level\"}");
    char *outside = jdy_call(client, "{\"method\":\"GET\",\"path\":\"/jdy/../auth/token\"}");
    char *saved;
    CHECK(env_ok(stores), "stores: %s", show(stores));
    CHECK(contains(stores, "\"name\":\"" NANJING_ROAD "\""), "%s", show(stores));
    CHECK(contains(stores, "\"850693217107061760\""), "the store's id: %s", show(stores));
    CHECK(env_ok(levels), "levels: %s", show(levels));
    CHECK(contains(levels, "\"name\":\"" GOLD_CARD "\""), "%s", show(levels));
    CHECK(env_kind_is(outside, "validation") && contains(outside, "\"field\":\"path\""),
          "a path outside /jdy/: %s", show(outside));
    jdy_string_free(stores);
    jdy_string_free(levels);
    jdy_string_free(outside);

    /* A member's store and level by name: the save resolves them to ids. */
    saved = jdy_member_save(client, "{\"mobile\":\"13900006666\",\"name\":\"" ZHANG_SAN "\","
                                    "\"shop\":\"" NANJING_ROAD "\",\"level\":\"" GOLD_CARD "\"}");
    CHECK(env_ok(saved), "a member with names for ids: %s", show(saved));
    jdy_string_free(saved);
}

/* The doctor against a healthy gateway: every check answers, none fails. */
static void test_doctor(JdyClient *client)
{
    char *report = jdy_doctor(client);
    char *none = jdy_doctor(NULL);
    CHECK(env_ok(report), "doctor: %s", show(report));
    CHECK(contains(report, "\"checks\":[") && contains(report, "\"failed\":0"),
          "%s", show(report));
    CHECK(contains(report, "\"name\":\"clock\""), "the clock is checked: %s", show(report));
    CHECK(env_kind_is(none, "invalid_argument"), "a NULL client: %s", show(none));
    jdy_string_free(report);
    jdy_string_free(none);
}

int main(void)
{
    char *config;
    JdyClient *client;

    printf("jdy_member %s, C tests\n", jdy_version());
    test_version();
    test_validate_good();
    test_validate_bad();
    test_invalid_arguments();
    test_client_new_bad_config();
    test_network_error();

    config = test_config();
    CHECK(config != NULL, "JDY_TEST_CONFIG gives the sandbox configuration");
    if (config != NULL) {
        client = new_client(config);
        if (client != NULL) {
            test_invalid_arguments_with_client(client);
            test_seed_member_round_trip(client);
            test_list(client);
            test_batch(client);
            test_recovered_save(client, config);
            test_call(client);
            test_doctor(client);
            test_threads(client);
            jdy_client_free(client);
        }
        test_wrong_client_secret(config);
        free(config);
    }
    return check_summary();
}
