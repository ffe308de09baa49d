/*
 * The stdcall functions of jdy_member.dll (include/jdy_member_stdcall.h), called the way
 * PowerBuilder, VB6, Visual FoxPro and the E language call them: the DLL is loaded with
 * LoadLibrary and every function found by its plain name with GetProcAddress, through
 * __stdcall function-pointer types; nothing is linked. The stack pointer is read before and
 * after every call: a cdecl/stdcall mix-up moves it on 32-bit Windows (the test proves it
 * would see one, with a cdecl function called the wrong way).
 *
 * Windows only (MinGW; scripts/test-native builds it for x86 and x64 and runs it under
 * Wine started with a Chinese locale):
 *   i686-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -fno-defer-pop
 *      -fno-omit-frame-pointer -Iinclude tests/c/test_stdcall.c -lws2_32 -o test_stdcall.exe
 * Run beside jdy_member.dll with JDY_TEST_CONFIG set to the sandbox gateway's configuration
 * (as tests/c/test_jdy_member.c). The system code page must be 936 (GBK): the program fails
 * otherwise. The last line printed is "N passed, M failed".
 */
#ifndef _WIN32
#error "test_stdcall.c tests the Windows DLL's stdcall functions"
#endif

#include <winsock2.h> /* before windows.h, for sandbox_control.h */
#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "jdy_member_stdcall.h"
#include "check.h"
#include "sandbox_control.h"

/* --- the functions, as a till declares them ---------------------------------------------- */

typedef int32_t(__stdcall *text_a_fn)(char *out, int32_t out_size);
typedef int32_t(__stdcall *text_w_fn)(wchar_t *out, int32_t out_chars);
typedef intptr_t(__stdcall *new_a_fn)(const char *config, char *error_out, int32_t error_size);
typedef intptr_t(__stdcall *new_w_fn)(const wchar_t *config, wchar_t *error_out, int32_t error_chars);
typedef int32_t(__stdcall *free_fn)(intptr_t client);
typedef int32_t(__stdcall *call_a_fn)(intptr_t client, const char *in, char *out, int32_t out_size);
typedef int32_t(__stdcall *call_w_fn)(intptr_t client, const wchar_t *in, wchar_t *out, int32_t out_chars);
typedef int32_t(__stdcall *batch_a_fn)(intptr_t client, const char *members, const char *options, char *out,
                                       int32_t out_size);
typedef int32_t(__stdcall *batch_w_fn)(intptr_t client, const wchar_t *members, const wchar_t *options,
                                       wchar_t *out, int32_t out_chars);
typedef int32_t(__stdcall *offline_a_fn)(const char *in, char *out, int32_t out_size);
typedef int32_t(__stdcall *offline_w_fn)(const wchar_t *in, wchar_t *out, int32_t out_chars);
typedef int32_t(__stdcall *client_a_fn)(intptr_t client, char *out, int32_t out_size);
typedef int32_t(__stdcall *client_w_fn)(intptr_t client, wchar_t *out, int32_t out_chars);

/* The types above are the header's, calling convention included (checked by the compiler,
 * without linking anything). */
#define SAME_TYPE(function, type) \
    typedef char same_type_##function[__builtin_types_compatible_p(__typeof__(&function), type) ? 1 : -1]
SAME_TYPE(jdy_version_a, text_a_fn);
SAME_TYPE(jdy_last_result_a, text_a_fn);
SAME_TYPE(jdy_version_w, text_w_fn);
SAME_TYPE(jdy_last_result_w, text_w_fn);
SAME_TYPE(jdy_client_new_a, new_a_fn);
SAME_TYPE(jdy_client_new_w, new_w_fn);
SAME_TYPE(jdy_client_free_a, free_fn);
SAME_TYPE(jdy_client_free_w, free_fn);
SAME_TYPE(jdy_member_save_a, call_a_fn);
SAME_TYPE(jdy_member_save_w, call_w_fn);
SAME_TYPE(jdy_member_get_a, call_a_fn);
SAME_TYPE(jdy_member_get_w, call_w_fn);
SAME_TYPE(jdy_member_list_a, call_a_fn);
SAME_TYPE(jdy_member_list_w, call_w_fn);
SAME_TYPE(jdy_member_save_batch_a, batch_a_fn);
SAME_TYPE(jdy_member_save_batch_w, batch_w_fn);
SAME_TYPE(jdy_member_validate_a, offline_a_fn);
SAME_TYPE(jdy_member_validate_w, offline_w_fn);
SAME_TYPE(jdy_outbox_add_a, call_a_fn);
SAME_TYPE(jdy_outbox_add_w, call_w_fn);
SAME_TYPE(jdy_outbox_flush_a, call_a_fn);
SAME_TYPE(jdy_outbox_flush_w, call_w_fn);
SAME_TYPE(jdy_outbox_status_a, client_a_fn);
SAME_TYPE(jdy_outbox_status_w, client_w_fn);
SAME_TYPE(jdy_outbox_list_a, call_a_fn);
SAME_TYPE(jdy_outbox_list_w, call_w_fn);
SAME_TYPE(jdy_outbox_retry_a, call_a_fn);
SAME_TYPE(jdy_outbox_retry_w, call_w_fn);
SAME_TYPE(jdy_outbox_discard_a, call_a_fn);
SAME_TYPE(jdy_outbox_discard_w, call_w_fn);
SAME_TYPE(jdy_call_a, call_a_fn);
SAME_TYPE(jdy_call_w, call_w_fn);
SAME_TYPE(jdy_doctor_a, client_a_fn);
SAME_TYPE(jdy_doctor_w, client_w_fn);

static struct {
    text_a_fn version_a, last_result_a;
    text_w_fn version_w, last_result_w;
    new_a_fn client_new_a;
    new_w_fn client_new_w;
    free_fn client_free_a, client_free_w;
    call_a_fn save_a, get_a, list_a, outbox_add_a, outbox_flush_a, outbox_list_a, outbox_retry_a,
        outbox_discard_a, call_a;
    call_w_fn save_w, get_w, list_w, outbox_add_w, outbox_flush_w, outbox_list_w, outbox_retry_w,
        outbox_discard_w, call_w;
    batch_a_fn save_batch_a;
    batch_w_fn save_batch_w;
    offline_a_fn validate_a;
    offline_w_fn validate_w;
    client_a_fn outbox_status_a, doctor_a;
    client_w_fn outbox_status_w, doctor_w;
} dll;

/* --- the stack pointer around every call -------------------------------------------------- */

#if defined(__i386__)
#define READ_SP(sp) __asm__ __volatile__("movl %%esp, %0" : "=r"(sp))
#elif defined(__x86_64__)
#define READ_SP(sp) __asm__ __volatile__("movq %%rsp, %0" : "=r"(sp))
#else
#error "x86 or x86-64 only"
#endif

static long calls_checked = 0;

static void stack_balanced(uintptr_t before, uintptr_t after, const char *call)
{
    calls_checked++;
    CHECK(before == after, "the stack pointer moved by %ld bytes across %s (a calling convention mix-up)",
          (long)(after - before), call);
}

/* CALL(result, expression): the call, with the stack pointer read just before and after. */
#define CALL(result, expression)                          \
    do {                                                  \
        uintptr_t sp_before_, sp_after_;                  \
        READ_SP(sp_before_);                              \
        (result) = (expression);                          \
        READ_SP(sp_after_);                               \
        stack_balanced(sp_before_, sp_after_, #expression); \
    } while (0)

/* The check sees a mix-up: jdy_member_validate is cdecl (it leaves its argument on the
 * stack); called through a __stdcall type the caller does not pop it either, and the stack
 * pointer is 4 bytes lower afterwards on x86. Frame-pointer code restores it on return. */
typedef char *(__stdcall *wrongly_stdcall_fn)(const char *member);
typedef void (*string_free_fn)(char *s);

static __attribute__((noinline)) long misdeclared_call_moves_the_stack(HMODULE library)
{
    wrongly_stdcall_fn validate = (wrongly_stdcall_fn)(void (*)(void))GetProcAddress(library, "jdy_member_validate");
    string_free_fn string_free = (string_free_fn)(void (*)(void))GetProcAddress(library, "jdy_string_free");
    uintptr_t before, after;
    char *envelope;
    if (validate == NULL || string_free == NULL) {
        return 0x7fff;
    }
    READ_SP(before);
    envelope = validate("{}");
    READ_SP(after);
    string_free(envelope);
    return (long)(after - before);
}

/* --- text ---------------------------------------------------------------------------------- */

/* GBK bytes (code page 936), as a Chinese till's ANSI strings hold them. */
#define GBK_NAME_A "\xbb\xe1\xd4\xb1" "A"          /* 会员A */
#define GBK_REMARK "\xb1\xb8\xd7\xa2"              /* 备注 */
#define GBK_ZHANG_SAN "\xd5\xc5\xc8\xfd"           /* 张三 */
#define GBK_YEJIA "\xd2\xb0\xbc\xd2"               /* 野家 */
#define GBK_NANJING_ROAD "\xc4\xcf\xbe\xa9\xce\xf7\xc2\xb7\xb5\xea" /* 南京西路店 */
/* 𠮷野家 (U+20BB7 is outside GBK), 한국 (Hangul, outside GBK too), 金卡, in UTF-16. */
#define W_YOSHINOYA L"\xD842\xDFB7\x91CE\x5BB6"
#define W_HANGUK L"\xD55C\xAD6D"
#define W_GOLD_CARD L"\x91D1\x5361"

#define SEED_A                                                                                \
    "{\"address\":\"410\",\"birthday\":\"2022-08-01\",\"custom_no\":\"1\",\"customer\":\"001\"," \
    "\"detail_address\":\"XXX\",\"enable\":\"1\",\"end_date\":\"2022-01-01\",\"is_delete\":\"0\","  \
    "\"join_way\":\"1\",\"label\":null,\"level\":\"1\",\"mbcard_id\":\"1\",\"mobile\":\"13333333333\"," \
    "\"name\":\"" GBK_NAME_A "\",\"period\":\"1\",\"referrere_mp\":\"1\",\"remark\":\"" GBK_REMARK "\"," \
    "\"sale_shop\":\"1\",\"sex_group\":\"1\",\"shop\":\"850693217107061760\",\"source\":\"1\","  \
    "\"start_date\":\"2022-01-01\"}"

#define BIG 65536
static char out_a[BIG];
static wchar_t out_w[BIG];

/* A malloc'd UTF-8 copy of a UTF-16 string (for messages and searches). */
static char *utf8(const wchar_t *text)
{
    int size = WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 0, NULL, NULL);
    char *bytes = (char *)malloc(size > 0 ? (size_t)size : 1);
    if (bytes != NULL) {
        bytes[0] = '\0';
        if (size > 0) {
            WideCharToMultiByte(CP_UTF8, 0, text, -1, bytes, size, NULL, NULL);
        }
    }
    return bytes;
}

/* The first \uXXXX escape at or after text, as a code point (a surrogate pair joined); 0 if
 * there is none. */
static unsigned long first_escape(const char *text)
{
    const char *at = strstr(text, "\\u");
    unsigned long high, low;
    if (at == NULL) {
        return 0;
    }
    high = strtoul((char[5]){at[2], at[3], at[4], at[5], 0}, NULL, 16);
    if (high < 0xD800 || high > 0xDBFF || strncmp(at + 6, "\\u", 2) != 0) {
        return high;
    }
    low = strtoul((char[5]){at[8], at[9], at[10], at[11], 0}, NULL, 16);
    return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
}

/* This thread's kept result through jdy_last_result_a, fetched as a till does: the size
 * first, then into a buffer of exactly that size. malloc'd. */
static char *kept_a(void)
{
    int32_t needed, n;
    char *text;
    CALL(needed, dll.last_result_a(NULL, 0));
    CHECK(needed < 0, "NULL and 0 answer minus the size needed: %ld", (long)needed);
    if (needed >= 0) {
        return NULL;
    }
    text = (char *)malloc((size_t)-needed);
    if (text == NULL) {
        return NULL;
    }
    CALL(n, dll.last_result_a(text, -needed));
    CHECK(n == -needed - 1 && text[n] == '\0' && strlen(text) == (size_t)n, "fetched %ld of %ld", (long)n,
          (long)-needed);
    return text;
}

/* --- the tests ------------------------------------------------------------------------------ */

static int resolve(HMODULE library)
{
    static const struct {
        const char *name;
        void (**slot)(void);
    } names[] = {
#define ENTRY(field, name) {name, (void (**)(void)) & dll.field}
        ENTRY(version_a, "jdy_version_a"), ENTRY(version_w, "jdy_version_w"),
        ENTRY(last_result_a, "jdy_last_result_a"), ENTRY(last_result_w, "jdy_last_result_w"),
        ENTRY(client_new_a, "jdy_client_new_a"), ENTRY(client_new_w, "jdy_client_new_w"),
        ENTRY(client_free_a, "jdy_client_free_a"), ENTRY(client_free_w, "jdy_client_free_w"),
        ENTRY(save_a, "jdy_member_save_a"), ENTRY(save_w, "jdy_member_save_w"),
        ENTRY(save_batch_a, "jdy_member_save_batch_a"), ENTRY(save_batch_w, "jdy_member_save_batch_w"),
        ENTRY(get_a, "jdy_member_get_a"), ENTRY(get_w, "jdy_member_get_w"),
        ENTRY(list_a, "jdy_member_list_a"), ENTRY(list_w, "jdy_member_list_w"),
        ENTRY(validate_a, "jdy_member_validate_a"), ENTRY(validate_w, "jdy_member_validate_w"),
        ENTRY(outbox_add_a, "jdy_outbox_add_a"), ENTRY(outbox_add_w, "jdy_outbox_add_w"),
        ENTRY(outbox_flush_a, "jdy_outbox_flush_a"), ENTRY(outbox_flush_w, "jdy_outbox_flush_w"),
        ENTRY(outbox_status_a, "jdy_outbox_status_a"), ENTRY(outbox_status_w, "jdy_outbox_status_w"),
        ENTRY(outbox_list_a, "jdy_outbox_list_a"), ENTRY(outbox_list_w, "jdy_outbox_list_w"),
        ENTRY(outbox_retry_a, "jdy_outbox_retry_a"), ENTRY(outbox_retry_w, "jdy_outbox_retry_w"),
        ENTRY(outbox_discard_a, "jdy_outbox_discard_a"), ENTRY(outbox_discard_w, "jdy_outbox_discard_w"),
        ENTRY(call_a, "jdy_call_a"), ENTRY(call_w, "jdy_call_w"),
        ENTRY(doctor_a, "jdy_doctor_a"), ENTRY(doctor_w, "jdy_doctor_w"),
#undef ENTRY
    };
    /* A decorated name is what a stdcall export becomes when nobody strips it. */
    static const char *const decorated[] = {"jdy_member_save_a@16", "_jdy_member_save_a@16",
                                            "_jdy_member_save_a", "jdy_version_a@8"};
    size_t i;
    int missing = 0;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        *names[i].slot = (void (*)(void))GetProcAddress(library, names[i].name);
        CHECK(*names[i].slot != NULL, "GetProcAddress(\"%s\") found nothing", names[i].name);
        missing += *names[i].slot == NULL;
    }
    for (i = 0; i < sizeof decorated / sizeof decorated[0]; i++) {
        CHECK(GetProcAddress(library, decorated[i]) == NULL, "%s is exported", decorated[i]);
    }
    return missing == 0;
}

static void test_the_stack_check_sees_a_mix_up(HMODULE library)
{
    long moved = misdeclared_call_moves_the_stack(library);
#if defined(__i386__)
    CHECK(moved == -4, "a cdecl function called as stdcall leaves the stack 4 bytes off, seen %ld", moved);
#else
    CHECK(moved == 0, "x64 has one convention: %ld", moved);
#endif
}

static void test_version(void)
{
    int32_t n;
    char small[2];
    const char *expected = getenv("JDY_TEST_EXPECT_VERSION");
    CALL(n, dll.version_a(out_a, BIG));
    CHECK(n > 0 && (size_t)n == strlen(out_a), "version_a: %ld", (long)n);
    if (expected != NULL && expected[0] != '\0') {
        CHECK(strcmp(out_a, expected) == 0, "version %s, expected %s", out_a, expected);
    }
    CALL(n, dll.version_w(out_w, BIG));
    CHECK(n > 0 && (size_t)n == wcslen(out_w), "version_w: %ld", (long)n);
    small[0] = 'x';
    CALL(n, dll.version_a(small, 2));
    CHECK(n == -(int32_t)strlen(out_a) - 1 && small[0] == '\0', "a 2-byte buffer: %ld", (long)n);
}

static intptr_t new_client_a(const char *config)
{
    intptr_t client;
    out_a[0] = 'x';
    CALL(client, dll.client_new_a(config, out_a, BIG));
    CHECK(client != 0, "client_new_a refused the sandbox configuration: %s", out_a);
    CHECK(out_a[0] == '\0', "error_out is emptied on success");
    return client;
}

static void test_client_new_refused(void)
{
    intptr_t client;
    char small[4] = "xyz";
    char *kept;
    CALL(client, dll.client_new_a("{\"client_id\":\"fake\",\"client_idd\":\"x\"}", out_a, BIG));
    CHECK(client == 0 && env_kind_is(out_a, "config"), "%s", out_a);
    CHECK(contains(out_a, "did you mean `client_id`?"), "%s", out_a);
    CALL(client, dll.client_new_a("{\"client_id\":\"fake\"}", small, 4));
    kept = kept_a();
    CHECK(client == 0 && small[0] == '\0' && env_kind_is(kept, "config"),
          "a short error_out is emptied and the error kept: %s", show(kept));
    free(kept);
    CALL(client, dll.client_new_w(NULL, NULL, 0));
    kept = kept_a();
    CHECK(client == 0 && env_kind_is(kept, "invalid_argument"), "NULL configuration: %s", show(kept));
    free(kept);
}

/* The seed member in GBK through _a: the name and remark come back byte for byte; the
 * sandbox stores UTF-8 (scripts/test-native checks the store). */
static void test_seed_member_in_gbk(intptr_t client)
{
    int32_t n;
    char *utf8_name;
    CALL(n, dll.validate_a(SEED_A, out_a, BIG));
    CHECK(n > 0 && env_ok(out_a), "validate_a: %s", out_a);
    CHECK(contains(out_a, "\"name\":\"" GBK_NAME_A "\"") && contains(out_a, "\"remark\":\"" GBK_REMARK "\""),
          "GBK in, GBK out: %s", out_a);
    CALL(n, dll.save_a(client, SEED_A, out_a, BIG));
    CHECK(n > 0 && env_ok(out_a), "save_a: %s", out_a);
    CHECK(contains(out_a, "\"name\":\"" GBK_NAME_A "\""), "the saved name byte for byte: %s", out_a);
    CHECK(!contains(out_a, "?") && !contains(out_a, "\\u"), "nothing replaced or escaped: %s", out_a);
    CALL(n, dll.get_a(client, "{\"mobile\":\"13333333333\"}", out_a, BIG));
    CHECK(env_ok(out_a) && contains(out_a, "\"name\":\"" GBK_NAME_A "\""), "get_a: %s", out_a);
    CALL(n, dll.get_w(client, L"{\"mobile\":\"13333333333\"}", out_w, BIG));
    utf8_name = utf8(out_w);
    CHECK(n > 0 && wcsstr(out_w, L"\"name\":\"\x4F1A\x5458" L"A\"") != NULL, "get_w: %s", show(utf8_name));
    free(utf8_name);
}

/* A name outside GBK goes in as UTF-16 and comes back the same; _a writes it as escapes. */
static void test_names_outside_gbk(intptr_t client)
{
    int32_t n;
    char *text;
    CALL(n, dll.save_w(client, L"{\"mobile\":\"13900008801\",\"name\":\"" W_YOSHINOYA L"\"}", out_w, BIG));
    text = utf8(out_w);
    CHECK(n > 0 && wcsstr(out_w, L"\"name\":\"" W_YOSHINOYA L"\"") != NULL, "save_w: %s", show(text));
    free(text);
    CALL(n, dll.get_w(client, L"{\"mobile\":\"13900008801\"}", out_w, BIG));
    CHECK(wcsstr(out_w, L"\"name\":\"" W_YOSHINOYA L"\"") != NULL, "get_w: the same UTF-16");
    CHECK(wcschr(out_w, L'?') == NULL, "no ? in get_w");
    CALL(n, dll.get_a(client, "{\"mobile\":\"13900008801\"}", out_a, BIG));
    CHECK(env_ok(out_a) && contains(out_a, "\"name\":\"\\ud842\\udfb7" GBK_YEJIA "\""),
          "get_a: the character escaped, the rest GBK: %s", out_a);
    CHECK(first_escape(out_a) == 0x20BB7, "the escape decodes to U+20BB7: %lx", first_escape(out_a));
    CHECK(!contains(out_a, "?"), "no ? in get_a: %s", out_a);

    /* Sent through _a as an escape, stored as the character. */
    CALL(n, dll.save_a(client, "{\"mobile\":\"13900008802\",\"name\":\"\\ud842\\udfb7A\"}", out_a, BIG));
    CHECK(env_ok(out_a) && contains(out_a, "\"name\":\"\\ud842\\udfb7A\""), "save_a with an escape: %s", out_a);
    CALL(n, dll.get_w(client, L"{\"mobile\":\"13900008802\"}", out_w, BIG));
    CHECK(wcsstr(out_w, L"\"name\":\"\xD842\xDFB7" L"A\"") != NULL, "stored as the character");

    /* A BMP character outside GBK: one escape each. */
    CALL(n, dll.save_w(client, L"{\"mobile\":\"13900008803\",\"name\":\"" W_HANGUK L"\"}", out_w, BIG));
    CALL(n, dll.get_a(client, "{\"mobile\":\"13900008803\"}", out_a, BIG));
    CHECK(contains(out_a, "\"name\":\"\\ud55c\\uad6d\""), "Hangul escaped: %s", out_a);
    CHECK(first_escape(out_a) == 0xD55C, "decodes to U+D55C: %lx", first_escape(out_a));
}

/* How many saves the sandbox counted for this mobile (from /__sandbox/stats). */
static int saves_of(int port, const char *mobile)
{
    char needle[64];
    char *stats = sandbox_get(port, "/__sandbox/stats");
    const char *at;
    int saves = -1;
    sprintf(needle, "\"%s\":", mobile);
    at = stats == NULL ? NULL : strstr(stats, "\"saves_by_mobile\":{");
    at = at == NULL ? NULL : strstr(at, needle);
    saves = at == NULL ? 0 : atoi(at + strlen(needle));
    CHECK(stats != NULL, "GET /__sandbox/stats");
    free(stats);
    return saves;
}

static void test_short_buffers(intptr_t client, int port)
{
    static const char *const mobiles[] = {"13900008811", "13900008812", "13900008813", "13900008814"};
    char member[128], buffer[8192];
    int32_t n, needed = 0, size, fetched;
    char *kept, *again;
    int i;
    for (i = 0; i < 4; i++) {
        /* 0 with NULL, 1 byte, exactly one short, exactly enough */
        size = i == 0 ? 0 : i == 1 ? 1 : i == 2 ? needed - 1 : needed;
        sprintf(member, "{\"mobile\":\"%s\",\"name\":\"" GBK_ZHANG_SAN "\"}", mobiles[i]);
        memset(buffer, '#', sizeof buffer);
        CALL(n, dll.save_a(client, member, i == 0 ? NULL : buffer, size));
        if (i == 0) {
            needed = -n;
            CHECK(n < 0, "NULL and 0: minus the size needed, %ld", (long)n);
        } else if (i < 3) {
            CHECK(n == -needed, "a buffer of %ld: %ld, expected %ld", (long)size, (long)n, (long)-needed);
            CHECK(buffer[0] == '\0' && buffer[1] == '#', "only a NUL at the start");
        } else {
            CHECK(n == needed - 1 && buffer[n] == '\0' && env_ok(buffer), "exactly enough: %ld %s", (long)n, buffer);
        }
        kept = kept_a();
        again = kept_a();
        CHECK(kept != NULL && again != NULL && strcmp(kept, again) == 0, "fetched as often as needed");
        CHECK(env_ok(kept) && contains(kept, mobiles[i]) && contains(kept, GBK_ZHANG_SAN), "%s", show(kept));
        CHECK(kept != NULL && (int32_t)strlen(kept) + 1 == needed, "the size it said: %ld", (long)needed);
        memset(buffer, '#', sizeof buffer);
        CALL(fetched, dll.last_result_a(buffer, needed - 1));
        CHECK(fetched == -needed && buffer[0] == '\0', "last_result one short: %ld", (long)fetched);
        CHECK(saves_of(port, mobiles[i]) == 1, "%s was saved once", mobiles[i]);
        free(kept);
        free(again);
    }
    /* _w, one character */
    out_w[0] = L'#';
    CALL(n, dll.save_w(client, L"{\"mobile\":\"13900008815\",\"name\":\"" W_HANGUK L"\"}", out_w, 1));
    CHECK(n < 0 && out_w[0] == 0, "_w with one character: %ld", (long)n);
    CALL(fetched, dll.last_result_w(out_w, -n));
    CHECK(fetched == -n - 1 && wcsstr(out_w, W_HANGUK) != NULL, "fetched the kept result: %ld", (long)fetched);
    CHECK(saves_of(port, "13900008815") == 1, "saved once");
}

static void test_bad_input(intptr_t client, const char *config, int port)
{
    static const char member[] = "{\"mobile\":\"13900008821\",\"name\":\"x\"}";
    static const int32_t bad_sizes[] = {-1, INT32_MIN, INT32_MAX};
    intptr_t other, never = 987654;
    int32_t n, freed;
    char *kept;
    size_t i;

    CALL(n, dll.save_a(client, NULL, out_a, BIG));
    CHECK(env_kind_is(out_a, "invalid_argument") && contains(out_a, "NULL"), "NULL member: %s", out_a);
    CALL(n, dll.save_a(client, member, NULL, 100));
    kept = kept_a();
    CHECK(n < 0 && env_kind_is(kept, "invalid_argument") && contains(kept, "NULL but its size is 100"),
          "NULL out with a size: %ld %s", (long)n, show(kept));
    free(kept);
    for (i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        out_a[0] = '#';
        CALL(n, dll.save_a(client, member, out_a, bad_sizes[i]));
        kept = kept_a();
        CHECK(n < 0 && out_a[0] == '#' && env_kind_is(kept, "invalid_argument") && contains(kept, "nothing was done"),
              "out_size %ld: %ld %s", (long)bad_sizes[i], (long)n, show(kept));
        free(kept);
    }
    CHECK(saves_of(port, "13900008821") == 0, "none of those saved anything");

    /* Bytes that are not GBK (0x81 must lead a pair), and a lone UTF-16 surrogate. */
    CALL(n, dll.save_a(client, "{\"mobile\":\"13900008822\",\"name\":\"\x81 \"}", out_a, BIG));
    CHECK(env_kind_is(out_a, "invalid_argument") && contains(out_a, "system code page (936)"), "%s", out_a);
    CALL(n, dll.save_w(client, L"{\"mobile\":\"13900008823\",\"name\":\"\xD842x\"}", out_w, BIG));
    kept = utf8(out_w);
    CHECK(contains(kept, "\"kind\":\"invalid_argument\"") && contains(kept, "unpaired surrogate"), "%s", show(kept));
    free(kept);
    CHECK(saves_of(port, "13900008822") == 0 && saves_of(port, "13900008823") == 0, "nothing saved");

    /* A freed handle, one never issued, 0: an error each, never a crash. */
    other = new_client_a(config);
    CALL(freed, dll.client_free_a(other));
    CHECK(freed == 1, "free: %ld", (long)freed);
    CALL(freed, dll.client_free_w(other));
    CHECK(freed == 0, "freeing again does nothing: %ld", (long)freed);
    CALL(n, dll.get_a(other, "{\"mobile\":\"13333333333\"}", out_a, BIG));
    CHECK(env_kind_is(out_a, "invalid_argument") && contains(out_a, "was freed"), "%s", out_a);
    CALL(n, dll.get_a(never, "{\"mobile\":\"13333333333\"}", out_a, BIG));
    CHECK(env_kind_is(out_a, "invalid_argument") && contains(out_a, "not a client handle"), "%s", out_a);
    CALL(n, dll.doctor_w(0, out_w, BIG));
    kept = utf8(out_w);
    CHECK(contains(kept, "\"kind\":\"invalid_argument\"") && contains(kept, "handle is 0"), "%s", show(kept));
    free(kept);
    CALL(freed, dll.client_free_a(never));
    CHECK(freed == 0, "an unknown handle: %ld", (long)freed);
}

static void test_batch_list_call_doctor(intptr_t client)
{
    int32_t n;
    char *text;
    CALL(n, dll.save_batch_a(client,
                             "[{\"mobile\":\"13900008831\",\"name\":\"" GBK_ZHANG_SAN "\"},"
                             "{\"mobile\":\"12345\",\"name\":\"x\"}]",
                             NULL, out_a, BIG));
    CHECK(n > 0 && env_ok(out_a) && contains(out_a, "\"saved\":1") && contains(out_a, "\"refused\":1"), "%s", out_a);
    CHECK(contains(out_a, "\"name\":\"" GBK_ZHANG_SAN "\""), "GBK in the batch's results: %s", out_a);
    CALL(n, dll.save_batch_w(client, L"[{\"mobile\":\"13900008832\",\"name\":\"" W_YOSHINOYA L"\"}]",
                             L"{\"concurrency\":2}", out_w, BIG));
    CHECK(wcsstr(out_w, L"\"saved\":1") != NULL && wcsstr(out_w, W_YOSHINOYA) != NULL, "batch_w");
    CALL(n, dll.list_a(client, "{\"page\":1,\"page_size\":100}", out_a, BIG));
    CHECK(env_ok(out_a) && contains(out_a, "\"name\":\"" GBK_NAME_A "\""), "list_a: %.300s", out_a);
    CALL(n, dll.list_w(client, L"{\"name\":\"\x4F1A\x5458\"}", out_w, BIG));
    CHECK(wcsstr(out_w, L"\"rows\":[") != NULL, "list_w");
    CALL(n, dll.call_a(client, "{\"method\":\"GET\",\"path\":\"/jdy/v2/ls/store\",\"query\":{\"page\":1}}", out_a, BIG));
    CHECK(env_ok(out_a) && contains(out_a, GBK_NANJING_ROAD), "call_a: stores in GBK: %.300s", out_a);
    CALL(n, dll.call_w(client, L"{\"method\":\"GET\",\"path\":\"/jdy/v2/ls/mb_level\"}", out_w, BIG));
    CHECK(wcsstr(out_w, W_GOLD_CARD) != NULL, "call_w: levels in UTF-16");
    CALL(n, dll.doctor_a(client, out_a, BIG));
    CHECK(env_ok(out_a) && contains(out_a, "\"failed\":0"), "doctor_a: %.500s", out_a);
    CALL(n, dll.doctor_w(client, out_w, BIG));
    text = utf8(out_w);
    CHECK(starts_with(text, "{\"ok\":true") && contains(text, "\"failed\":0"), "doctor_w: %.300s", show(text));
    free(text);
}

/* The outbox through a second client whose configuration names an outbox file. */
static void test_outbox(const char *config)
{
    char folder[MAX_PATH], path[MAX_PATH + 64], escaped[2 * MAX_PATH + 128], *with_outbox, *text;
    const char *p;
    size_t at = 0, length = strlen(config);
    intptr_t client;
    int32_t n;
    DWORD got = GetTempPathA(MAX_PATH, folder);
    CHECK(got > 0 && got < MAX_PATH, "GetTempPathA");
    sprintf(path, "%sjdy-stdcall-outbox-%lu.sqlite3", folder, (unsigned long)GetCurrentProcessId());
    for (p = path; *p != '\0'; p++) {
        if (*p == '\\') {
            escaped[at++] = '\\';
        }
        escaped[at++] = *p;
    }
    escaped[at] = '\0';
    while (length > 0 && (config[length - 1] == '\n' || config[length - 1] == '\r' || config[length - 1] == ' ')) {
        length--;
    }
    with_outbox = (char *)malloc(length + strlen(escaped) + 32);
    if (with_outbox == NULL || length < 2 || config[length - 1] != '}') {
        CHECK(0, "the configuration is a JSON object: %s", config);
        free(with_outbox);
        return;
    }
    memcpy(with_outbox, config, length - 1);
    sprintf(with_outbox + length - 1, ",\"outbox_path\":\"%s\"}", escaped);
    client = new_client_a(with_outbox);
    if (client != 0) {
        CALL(n, dll.outbox_add_a(client, "{\"mobile\":\"13900008841\",\"name\":\"" GBK_ZHANG_SAN "\"}", out_a, BIG));
        CHECK(env_ok(out_a) && contains(out_a, "\"state\":\"queued\""), "outbox_add_a: %s", out_a);
        CALL(n, dll.outbox_add_w(client, L"{\"mobile\":\"13900008842\",\"name\":\"" W_YOSHINOYA L"\"}", out_w, BIG));
        CHECK(wcsstr(out_w, L"\"state\":\"queued\"") != NULL, "outbox_add_w");
        CALL(n, dll.outbox_status_a(client, out_a, BIG));
        CHECK(env_ok(out_a) && contains(out_a, "\"queued\":2"), "outbox_status_a: %s", out_a);
        CALL(n, dll.outbox_list_a(client, NULL, out_a, BIG));
        CHECK(env_ok(out_a) && contains(out_a, "\"count\":2") && contains(out_a, GBK_ZHANG_SAN), "outbox_list_a: %s", out_a);
        CALL(n, dll.outbox_list_w(client, L"{\"state\":\"queued\"}", out_w, BIG));
        CHECK(wcsstr(out_w, W_YOSHINOYA) != NULL, "outbox_list_w");
        CALL(n, dll.outbox_flush_a(client, NULL, out_a, BIG));
        CHECK(env_ok(out_a) && contains(out_a, "\"saved\":2"), "outbox_flush_a: %s", out_a);
        CALL(n, dll.outbox_flush_w(client, NULL, out_w, BIG));
        CHECK(wcsstr(out_w, L"\"saved\":0") != NULL, "outbox_flush_w: nothing left");
        CALL(n, dll.outbox_status_w(client, out_w, BIG));
        CHECK(wcsstr(out_w, L"\"saved\":2") != NULL, "outbox_status_w");
        CALL(n, dll.outbox_retry_a(client, "{\"state\":\"refused\"}", out_a, BIG));
        CHECK(env_ok(out_a) && contains(out_a, "\"requeued\":0"), "outbox_retry_a: %s", out_a);
        CALL(n, dll.outbox_retry_w(client, L"{\"state\":\"refused\"}", out_w, BIG));
        CHECK(wcsstr(out_w, L"\"requeued\":0") != NULL, "outbox_retry_w");
        CALL(n, dll.outbox_discard_a(client, "{\"state\":\"refused\"}", out_a, BIG));
        CHECK(env_ok(out_a) && contains(out_a, "\"discarded\":0"), "outbox_discard_a: %s", out_a);
        CALL(n, dll.outbox_discard_w(client, L"{\"outbox_id\":\"ob-none\"}", out_w, BIG));
        text = utf8(out_w);
        CHECK(starts_with(text, "{\"ok\":false"), "discarding an unknown item: %s", show(text));
        free(text);
        CALL(n, dll.client_free_w(client));
        CHECK(n == 1, "free");
    }
    DeleteFileA(path);
    free(with_outbox);
}

/* Each thread keeps its own result. */
static DWORD WINAPI other_thread(LPVOID unused)
{
    int32_t n;
    char *kept;
    (void)unused;
    kept = kept_a();
    CHECK(env_kind_is(kept, "invalid_argument") && contains(kept, "no result is kept on this thread"),
          "a new thread keeps nothing yet: %s", show(kept));
    free(kept);
    CALL(n, dll.validate_w(L"{\"mobile\":\"13900008851\",\"name\":\"\x7EBF\x7A0B\"}", NULL, 0));
    CHECK(n < 0, "size only");
    kept = kept_a();
    CHECK(contains(kept, "13900008851"), "this thread's own: %s", show(kept));
    free(kept);
    return 0;
}

static void test_each_thread_keeps_its_own(void)
{
    int32_t n;
    HANDLE thread;
    char *kept;
    CALL(n, dll.validate_a("{\"mobile\":\"13900008852\",\"name\":\"" GBK_ZHANG_SAN "\"}", NULL, 0));
    CHECK(n < 0, "size only: %ld", (long)n);
    thread = CreateThread(NULL, 0, other_thread, NULL, 0, NULL);
    CHECK(thread != NULL, "CreateThread");
    if (thread != NULL) {
        WaitForSingleObject(thread, INFINITE);
        CloseHandle(thread);
    }
    kept = kept_a();
    CHECK(contains(kept, "13900008852") && contains(kept, GBK_ZHANG_SAN), "still this thread's: %s", show(kept));
    free(kept);
}

int main(void)
{
    HMODULE library;
    char *config;
    intptr_t client;
    int32_t freed;
    int port;
    UINT acp = GetACP();

    printf("jdy_member.dll stdcall functions, %d-bit, code page %u\n", (int)(8 * sizeof(void *)), acp);
    CHECK(acp == 936, "the system code page is %u; run this under a Chinese locale (LANG=zh_CN.UTF-8 wine ...)", acp);
    library = LoadLibraryW(L"jdy_member.dll");
    CHECK(library != NULL, "LoadLibraryW(jdy_member.dll): error %lu", (unsigned long)GetLastError());
    if (library == NULL || !resolve(library)) {
        return check_summary();
    }
    test_the_stack_check_sees_a_mix_up(library);
    test_version();
    test_client_new_refused();
    test_each_thread_keeps_its_own();

    config = test_config();
    port = sandbox_port(config);
    CHECK(config != NULL && port > 0, "JDY_TEST_CONFIG gives the sandbox configuration");
    if (config != NULL && port > 0) {
        client = new_client_a(config);
        if (client != 0) {
            test_seed_member_in_gbk(client);
            test_names_outside_gbk(client);
            test_short_buffers(client, port);
            test_bad_input(client, config, port);
            test_batch_list_call_doctor(client);
            CALL(freed, dll.client_free_a(client));
            CHECK(freed == 1, "free: %ld", (long)freed);
        }
        test_outbox(config);
    }
    free(config);
    printf("the stack pointer was the same before and after each of %ld calls\n", calls_checked);
    return check_summary();
}
