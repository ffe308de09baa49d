/* The bare round trip of one member save: the exact request bytes the library sent for a
 * save (captured on the wire by bench/run.py), replayed over one keep-alive TCP connection,
 * each answer read in full. What is left of a save when the library's own work is taken
 * away; the library's save_loop latency minus this one is what the library adds.
 *
 *   bare_save PORT REQUEST_FILE MOBILE_IN_REQUEST FIRST_MOBILE WARMUP COUNT
 *
 * REQUEST_FILE holds one whole HTTP request (head and body, Content-Length framed) as the
 * library sent it to 127.0.0.1:PORT. For each replay only the mobile's digits in the body
 * change (MOBILE_IN_REQUEST, found exactly once in the body, becomes FIRST_MOBILE, then the
 * next number and so on, same length), so the sandbox stores a new member each time: its
 * signature covers method, path, query, nonce and timestamp, not the body, and it does not
 * reject a nonce seen before. Signature, timestamp and token stay those the library made,
 * which the sandbox accepts for 5 minutes (its timestamp window).
 *
 * Prints one JSON line like save_loop: wall time, this process's CPU over the COUNT replays,
 * p50/p99 latency (send to the last byte of the answer). Exit 1 if an answer was not a
 * success (HTTP 200 with "errcode":0). */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static char answer[1 << 20];

static void send_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0) die("send failed");
        data += n;
        len -= (size_t)n;
    }
}

/* Reads one whole answer (head, then Content-Length bytes); returns 1 for a success. */
static int read_answer(int fd) {
    size_t have = 0, head_len = 0, body_len = 0;
    for (;;) {
        if (have == sizeof answer - 1) die("answer too large");
        ssize_t n = recv(fd, answer + have, sizeof answer - 1 - have, 0);
        if (n <= 0) die("the sandbox closed the connection (or recv failed)");
        have += (size_t)n;
        answer[have] = '\0';
        if (!head_len) {
            char *end = strstr(answer, "\r\n\r\n");
            if (!end) continue;
            head_len = (size_t)(end - answer) + 4;
            const char *line = answer;
            int found = 0;
            while (line < answer + head_len) {
                if (strncasecmp(line, "Content-Length:", 15) == 0) {
                    body_len = strtoul(line + 15, NULL, 10);
                    found = 1;
                    break;
                }
                const char *next = strstr(line, "\r\n");
                if (!next) break;
                line = next + 2;
            }
            if (!found) die("answer without Content-Length");
        }
        if (have >= head_len + body_len) {
            if (have > head_len + body_len) die("more bytes than one answer");
            break;
        }
    }
    return strncmp(answer, "HTTP/1.1 200", 12) == 0 &&
           strstr(answer + head_len, "\"errcode\":0") != NULL;
}

int main(int argc, char **argv) {
    if (argc != 7) die("usage: bare_save PORT REQUEST_FILE MOBILE_IN_REQUEST FIRST_MOBILE WARMUP COUNT");
    int port = atoi(argv[1]);
    const char *old_mobile = argv[3];
    unsigned long long mobile = strtoull(argv[4], NULL, 10);
    long warmup = atol(argv[5]);
    long count = atol(argv[6]);
    size_t mobile_len = strlen(old_mobile);

    FILE *f = fopen(argv[2], "rb");
    if (!f) die("cannot open the request file");
    static char request[1 << 16];
    size_t len = fread(request, 1, sizeof request - 1, f);
    fclose(f);
    request[len] = '\0';
    char *body = strstr(request, "\r\n\r\n");
    if (!body) die("the request file has no end of head");
    body += 4;
    char *at = strstr(body, old_mobile);
    if (!at || strstr(at + 1, old_mobile)) die("the mobile is not in the body exactly once");
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", mobile + (unsigned long long)(warmup + count));
    if (strlen(digits) != mobile_len) die("the new mobiles must be as long as the old one");

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket failed");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect failed");

    double *lat = malloc(sizeof(double) * (size_t)(count > 0 ? count : 1));
    if (!lat) die("out of memory");
    for (long i = 0; i < count; i++) lat[i] = -1.0;
    long failures = 0;
    double user0 = 0, sys0 = 0, user1, sys1, start = 0;
    for (long i = 0; i < warmup + count; i++) {
        if (i == warmup) {
            cpu_s(&user0, &sys0);
            start = now_s();
        }
        snprintf(digits, sizeof digits, "%llu", mobile++);
        memcpy(at, digits, mobile_len);
        double t0 = now_s();
        send_all(fd, request, len);
        int ok = read_answer(fd);
        if (i >= warmup) lat[i - warmup] = now_s() - t0;
        if (!ok && failures++ == 0) fprintf(stderr, "replay not a success: %.500s\n", answer);
    }
    double wall = now_s() - start;
    cpu_s(&user1, &sys1);
    close(fd);

    print_timing(count, failures, wall, user1 - user0, sys1 - sys0, lat);
    printf("}\n");
    return failures ? 1 : 0;
}
