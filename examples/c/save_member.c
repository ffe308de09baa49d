/*
 * save_member.c: save one shop member into Kingdee JDY retail cloud and read it back.
 *
 *   save_member [CONFIG.json [MEMBER.json]]
 *
 * CONFIG.json is the client configuration (see the README: client_id, client_secret, and
 * app_key + app_secret + domain or outer_instance_id); default "jdy-config.json".
 * MEMBER.json is one member with the API's field names; default
 * "examples/seed-member.json" (the API spec's example member, with a Chinese name).
 * Both files must be UTF-8 (a UTF-8 byte order mark, as Windows Notepad writes, is skipped).
 *
 * Exit status: 0 when every step succeeded, 1 when the library answered with an error
 * envelope, 2 when a file could not be read or memory ran out.
 *
 * Plain C99 and the C standard library only (plus SetConsoleOutputCP on Windows), and
 * ASCII-only source, so it builds with gcc, clang, MinGW and MSVC on any code page.
 *   gcc:   cc -std=c99 -Iinclude examples/c/save_member.c -Ltarget/release -ljdy_member -o save_member
 *   MSVC:  cl /Iinclude examples\c\save_member.c jdy_member.dll.lib
 *
 * Ownership, in short (the README has the full rules):
 *   - Every char * a jdy_* function returns is a JSON envelope, never NULL, that this program
 *     owns and must release with jdy_string_free() -- never free(): on Windows the DLL and the
 *     program may use different C runtimes, hence different heaps.
 *   - Strings passed in are only read during the call; the library keeps no pointer to them.
 *   - The client is released with jdy_client_free(), once, after the last call on it.
 */
#if defined(_MSC_VER) && !defined(_CRT_SECURE_NO_WARNINGS)
#define _CRT_SECURE_NO_WARNINGS /* fopen is fine here */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h> /* SetConsoleOutputCP: show the UTF-8 envelopes correctly in a console */
#endif

#include "jdy_member.h"

/* Reads a whole file into a NUL-terminated buffer from malloc() (ours: freed with free()).
 * Returns NULL, after printing why, when the file cannot be read. */
static char *read_text_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    char *text = NULL;
    size_t length = 0, capacity = 0, got;

    if (file == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    for (;;) {
        if (capacity - length < 2) {
            size_t bigger = capacity == 0 ? 4096 : capacity * 2;
            char *grown = (char *)realloc(text, bigger);
            if (grown == NULL) {
                fprintf(stderr, "out of memory reading %s\n", path);
                free(text);
                fclose(file);
                return NULL;
            }
            text = grown;
            capacity = bigger;
        }
        got = fread(text + length, 1, capacity - length - 1, file);
        length += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(file)) {
        fprintf(stderr, "cannot read %s\n", path);
        free(text);
        fclose(file);
        return NULL;
    }
    fclose(file);
    text[length] = '\0';
    /* Skip a UTF-8 byte order mark: the library wants plain JSON text. */
    if (length >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        memmove(text, text + 3, length - 2);
    }
    return text;
}

/* True when an envelope says "ok". The header guarantees that every envelope begins with
 * {"ok":true or {"ok":false , so the prefix decides without a JSON parser (a recovered save,
 * {"ok":true,"data":...,"recovered":true}, is a success too). */
static int envelope_ok(const char *envelope)
{
    static const char prefix[] = "{\"ok\":true";
    return strncmp(envelope, prefix, sizeof prefix - 1) == 0;
}

/* Prints an envelope under a heading and says whether it was ok. Does not free it. */
static int show(const char *step, const char *envelope)
{
    int ok = envelope_ok(envelope);
    printf("%s: %s\n%s\n\n", step, ok ? "ok" : "FAILED", envelope);
    return ok;
}

/* Copies the 11 digits of "mobile" from a validated member into a query
 * {"mobile":"13333333333"}. Validation normalises the mobile to exactly 11 digits, so no
 * JSON escaping is needed. Returns 0 if it is not there. */
static int mobile_query(const char *validated, char *query, size_t query_size)
{
    static const char key[] = "\"mobile\":\"";
    const char *start = strstr(validated, key);
    size_t digits = 0;

    if (start == NULL) {
        return 0;
    }
    start += sizeof key - 1;
    while (start[digits] >= '0' && start[digits] <= '9') {
        digits++;
    }
    if (digits != 11 || start[digits] != '"' || query_size < 32) {
        return 0;
    }
    sprintf(query, "{\"mobile\":\"%.11s\"}", start);
    return 1;
}

int main(int argc, char **argv)
{
    const char *config_path = argc > 1 ? argv[1] : "jdy-config.json";
    const char *member_path = argc > 2 ? argv[2] : "examples/seed-member.json";
    char *config_json = NULL;
    char *member_json = NULL;
    char *error = NULL;     /* owned by us once set: jdy_string_free() */
    char *validated = NULL; /* owned by us: jdy_string_free() */
    char *saved = NULL;     /* owned by us: jdy_string_free() */
    char *read_back = NULL; /* owned by us: jdy_string_free() */
    JdyClient *client = NULL; /* owned by us: jdy_client_free() */
    char query[64];
    int status = 0;

#ifdef _WIN32
    SetConsoleOutputCP(CP_UTF8); /* the envelopes are UTF-8, not the ANSI code page (GBK) */
#endif
    if (argc > 3 || (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))) {
        fprintf(stderr, "usage: %s [CONFIG.json [MEMBER.json]]\n", argv[0]);
        return 2;
    }
    printf("jdy_member %s\n\n", jdy_version()); /* static string: never freed */

    config_json = read_text_file(config_path);
    member_json = read_text_file(member_path);
    if (config_json == NULL || member_json == NULL) {
        free(config_json); /* free(NULL) is fine */
        free(member_json);
        return 2;
    }

    /* 1. A client: one per process, shared by all threads. No network call happens yet.
     *    On failure it returns NULL and, because we passed &error, an error envelope that we
     *    must release. */
    client = jdy_client_new(config_json, &error);
    if (client == NULL) {
        show("create client", error);
        jdy_string_free(error);
        free(config_json);
        free(member_json);
        return 1;
    }
    /* On success error was set to NULL: nothing to free. config_json is no longer needed
     * (the library copied what it needs). */
    free(config_json);
    config_json = NULL;

    /* 2. Validate offline: every invalid field is listed at once, nothing is sent. */
    validated = jdy_member_validate(member_json);
    if (!show("validate", validated)) {
        status = 1;
        goto done;
    }

    /* 3. Save: signs the request, fetches (and caches) the app token, posts the member. */
    saved = jdy_member_save(client, member_json);
    if (!show("save", saved)) {
        status = 1;
        goto done;
    }

    /* 4. Read it back by mobile (the mobile as validation normalised it). */
    if (!mobile_query(validated, query, sizeof query)) {
        fprintf(stderr, "the validated member has no 11-digit mobile\n");
        status = 1;
        goto done;
    }
    read_back = jdy_member_get(client, query);
    if (!show("get", read_back)) {
        status = 1;
    } else if (strcmp(read_back, "{\"ok\":true,\"data\":null}") == 0) {
        fprintf(stderr, "the member just saved was not found\n"); /* "data": null = no such member */
        status = 1;
    }

done:
    /* Every envelope goes back to the library; jdy_string_free(NULL) does nothing, so the
     * steps that did not run need no special case. */
    jdy_string_free(read_back);
    jdy_string_free(saved);
    jdy_string_free(validated);
    /* The client last, after every call on it has returned. */
    jdy_client_free(client);
    free(member_json);
    return status;
}
