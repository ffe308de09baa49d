/*
 * sandbox_control.h: the C tests' one way to reach the sandbox gateway's unsigned
 * /__sandbox/ controls (fault injection, what it stored and counted), with a plain
 * HTTP/1.1 POST or GET over loopback.
 * POSIX sockets, or Winsock on Windows (link with -lws2_32 there).
 *
 * Compiles as C99 (-std=c99 -Wall -Wextra -Werror -pedantic) and as C++11.
 */
#ifndef JDY_TEST_SANDBOX_CONTROL_H
#define JDY_TEST_SANDBOX_CONTROL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
typedef SOCKET control_socket;
#define CONTROL_INVALID INVALID_SOCKET
#define control_close closesocket
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
typedef int control_socket;
#define CONTROL_INVALID (-1)
#define control_close close
#endif

/* The port of "base_url": "http://127.0.0.1:PORT" in a configuration (compact or not); 0
 * if there is none. */
static inline int sandbox_port(const char *config)
{
    static const char key[] = "\"base_url\"";
    static const char host[] = "http://127.0.0.1:";
    const char *at = config == NULL ? NULL : strstr(config, key);
    if (at == NULL) {
        return 0;
    }
    at += sizeof key - 1;
    while (*at == ' ' || *at == ':' || *at == '"') {
        at++;
    }
    return strncmp(at, host, sizeof host - 1) == 0 ? atoi(at + sizeof host - 1) : 0;
}

/* POSTs body to path on the sandbox at 127.0.0.1:port; the HTTP status, or -1. */
static inline int sandbox_post(int port, const char *path, const char *body)
{
    char request[2048], answer[512];
    struct sockaddr_in address;
    control_socket s;
    int length, sent = 0, status = -1, got = 0, n;
#ifdef _WIN32
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        return -1;
    }
#endif
    length = snprintf(request, sizeof request,
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: %u\r\nConnection: close\r\n\r\n%s",
                      path, (unsigned)strlen(body), body);
    if (length <= 0 || (size_t)length >= sizeof request) {
        return -1;
    }
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(0x7f000001); /* 127.0.0.1 */
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s == CONTROL_INVALID) {
        return -1;
    }
    if (connect(s, (struct sockaddr *)&address, sizeof address) == 0) {
        while (sent < length && (n = (int)send(s, request + sent, (size_t)(length - sent), 0)) > 0) {
            sent += n;
        }
        while (got < (int)sizeof answer - 1 && (n = (int)recv(s, answer + got, (size_t)((int)sizeof answer - 1 - got), 0)) > 0) {
            got += n;
        }
        answer[got] = '\0';
        if (sent == length && strncmp(answer, "HTTP/1.1 ", 9) == 0) {
            status = atoi(answer + 9);
        }
    }
    control_close(s);
    return status;
}

/* GETs path on the sandbox at 127.0.0.1:port: the answer's body (Content-Length bytes),
 * malloc'd and NUL-terminated, or NULL. */
static inline char *sandbox_get(int port, const char *path)
{
    char request[512], *answer = NULL, *body = NULL, *grown;
    struct sockaddr_in address;
    control_socket s;
    int length, sent = 0, got = 0, n, capacity = 0;
    long content_length = -1;
    const char *end_of_headers, *field;
#ifdef _WIN32
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        return NULL;
    }
#endif
    length = snprintf(request, sizeof request,
                      "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (length <= 0 || (size_t)length >= sizeof request) {
        return NULL;
    }
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(0x7f000001); /* 127.0.0.1 */
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s == CONTROL_INVALID) {
        return NULL;
    }
    if (connect(s, (struct sockaddr *)&address, sizeof address) == 0) {
        while (sent < length && (n = (int)send(s, request + sent, (size_t)(length - sent), 0)) > 0) {
            sent += n;
        }
        for (;;) {
            if (capacity - got < 4096) {
                grown = (char *)realloc(answer, (size_t)capacity + 65536);
                if (grown == NULL) {
                    break;
                }
                answer = grown;
                capacity += 65536;
            }
            n = (int)recv(s, answer + got, (size_t)(capacity - got - 1), 0);
            if (n <= 0) {
                break;
            }
            got += n;
            answer[got] = '\0';
            end_of_headers = strstr(answer, "\r\n\r\n");
            if (end_of_headers == NULL) {
                continue;
            }
            if (content_length < 0) {
                field = strstr(answer, "Content-Length: ");
                if (field == NULL) {
                    field = strstr(answer, "content-length: ");
                }
                if (field == NULL || field > end_of_headers) {
                    break;
                }
                content_length = atol(field + 16);
            }
            if (got - (end_of_headers + 4 - answer) >= content_length) {
                body = (char *)malloc((size_t)content_length + 1);
                if (body != NULL) {
                    memcpy(body, end_of_headers + 4, (size_t)content_length);
                    body[content_length] = '\0';
                }
                break;
            }
        }
    }
    control_close(s);
    free(answer);
    return body;
}

#endif
