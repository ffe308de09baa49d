/*
 * check.h: the few helpers the C and C++ tests of jdy_member share.
 *
 * - CHECK(cond, ...) counts a pass, or prints file:line, the condition and a printf-style
 *   note and counts a failure; the test goes on either way.
 * - check_summary() prints the last line CI reads, exactly "N passed, M failed", and gives
 *   the exit status (0 only when nothing failed).
 * - The header guarantees every envelope begins with {"ok":true or {"ok":false (then
 *   "data", or "error" whose first key is "kind"), so the helpers below decide with the
 *   prefix and look inside with strstr instead of a JSON parser.
 *
 * Compiles as C99 (-std=c99 -Wall -Wextra -Werror -pedantic) and as C++11.
 */
#ifndef JDY_TEST_CHECK_H
#define JDY_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdy_member.h"

static int check_passed = 0;
static int check_failed = 0;

static inline void check_report(int ok, const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list args;
    if (ok) {
        check_passed++;
        return;
    }
    check_failed++;
    fprintf(stderr, "%s:%d: FAILED: %s", file, line, cond);
    if (fmt != NULL && fmt[0] != '\0') {
        fputs(": ", stderr);
        va_start(args, fmt);
        vfprintf(stderr, fmt, args);
        va_end(args);
    }
    fputc('\n', stderr);
    fflush(stderr);
}

/* CHECK(condition, "printf format", args...): the note is printed only on failure.
 * (The format is a required argument so that the macro stays within C99, which has no
 * empty __VA_ARGS__; pass "" when there is nothing to add.) */
#define CHECK(cond, ...) check_report((cond) ? 1 : 0, __FILE__, __LINE__, #cond, __VA_ARGS__)

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    fflush(stdout);
    return check_failed == 0 ? 0 : 1;
}

/* --- envelopes ------------------------------------------------------------------------ */

static inline int ends_with(const char *text, const char *suffix)
{
    size_t n, m;
    if (text == NULL) {
        return 0;
    }
    n = strlen(text);
    m = strlen(suffix);
    return n >= m && memcmp(text + n - m, suffix, m) == 0;
}

static inline int starts_with(const char *text, const char *prefix)
{
    return text != NULL && strncmp(text, prefix, strlen(prefix)) == 0;
}

/* The guaranteed prefix of every success envelope: {"ok":true,"data": */
static inline int env_ok(const char *envelope)
{
    return starts_with(envelope, "{\"ok\":true,\"data\":") && ends_with(envelope, "}");
}

static inline int env_failed(const char *envelope)
{
    return starts_with(envelope, "{\"ok\":false,\"error\":{") && ends_with(envelope, "}}");
}

/* A success envelope of a save whose answer was lost and that was found stored as sent. */
static inline int env_recovered(const char *envelope)
{
    return env_ok(envelope) && ends_with(envelope, ",\"recovered\":true}");
}

static inline int contains(const char *text, const char *needle)
{
    return text != NULL && strstr(text, needle) != NULL;
}

/* An error envelope of this kind: {"ok":false,"error":{"kind":"<kind>",...}}. */
static inline int env_kind_is(const char *envelope, const char *kind)
{
    char prefix[64];
    if (!env_failed(envelope) || strlen(kind) > sizeof prefix - 32) {
        return 0;
    }
    sprintf(prefix, "{\"ok\":false,\"error\":{\"kind\":\"%s\"", kind);
    return starts_with(envelope, prefix);
}

/* How many times needle occurs in text (without overlaps). */
static inline int count_of(const char *text, const char *needle)
{
    int n = 0;
    size_t m = strlen(needle);
    if (text == NULL || m == 0) {
        return 0;
    }
    while ((text = strstr(text, needle)) != NULL) {
        n++;
        text += m;
    }
    return n;
}

/* A printable excerpt of an envelope for failure notes (never NULL). */
static inline const char *show(const char *envelope)
{
    return envelope == NULL ? "(NULL)" : envelope;
}

/* --- text ----------------------------------------------------------------------------- */

/* A malloc'd copy of text with the first occurrence of from replaced by to; NULL if from is
 * not there or memory ran out. */
static inline char *replace_once(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    size_t before, from_len, to_len, after;
    char *out;
    if (at == NULL) {
        return NULL;
    }
    before = (size_t)(at - text);
    from_len = strlen(from);
    to_len = strlen(to);
    after = strlen(at + from_len);
    out = (char *)malloc(before + to_len + after + 1);
    if (out == NULL) {
        return NULL;
    }
    memcpy(out, text, before);
    memcpy(out + before, to, to_len);
    memcpy(out + before + to_len, at + from_len, after + 1);
    return out;
}

/* A malloc'd copy of a whole file, NUL-terminated; NULL on failure. */
static inline char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    if (f == NULL) {
        return NULL;
    }
    for (;;) {
        if (cap - len < 4096) {
            char *grown = (char *)realloc(buf, cap + 65536);
            if (grown == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
            cap += 65536;
        }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/*
 * The configuration of the sandbox gateway to test against, malloc'd: JDY_TEST_CONFIG holds
 * either the JSON object itself or the path of a file containing it (scripts/test-native
 * sets it from the `config` of `jdy-member sandbox`). NULL, with a message, when it is
 * missing or unreadable.
 */
static inline char *test_config(void)
{
    const char *value = getenv("JDY_TEST_CONFIG");
    char *copy;
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr,
                "JDY_TEST_CONFIG is not set: start `jdy-member sandbox --port 0` and put the "
                "\"config\" object it prints (or the path of a file holding it) in "
                "JDY_TEST_CONFIG; the tests that need the gateway fail without it\n");
        return NULL;
    }
    if (value[0] == '{') {
        copy = (char *)malloc(strlen(value) + 1);
        if (copy != NULL) {
            strcpy(copy, value);
        }
        return copy;
    }
    copy = read_file(value);
    if (copy == NULL) {
        fprintf(stderr, "JDY_TEST_CONFIG names %s, which cannot be read\n", value);
    }
    return copy;
}

#endif /* JDY_TEST_CHECK_H */
