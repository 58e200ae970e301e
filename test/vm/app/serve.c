/*
 * serve: the loopback lab's test app server. Serves the files of one directory over HTTP/1.0 with
 * `Connection: close`, from one process with a poll() loop: no fork per request and an accept
 * queue of SOMAXCONN. busybox httpd, which the lab used before, forks per request and listens
 * with a backlog of 9; under 64 connections on a 2-core box its queue overflowed and SYNs were
 * retransmitted (1.02 s upstream connect times in nginx's log, wrk 10 s timeouts) with or
 * without a deploy, so bench:vm measured busybox rather than the switch. A real API server
 * listens with a backlog of hundreds; so does this one.
 *
 *   serve PORT DIR
 *
 * Each request reads DIR/<path> afresh (a test can delete /www/readiness in a running container
 * and the next probe gets 404). GET and HEAD only; paths with ".." are refused. SIGTERM and
 * SIGINT end it with status 0 at once (the image's PID 1 also traps TERM; see lab.ts).
 * Linked statically (gcc -static) so the image's rootfs needs nothing but this file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CONNS 1000
#define REQ_MAX 4096
#define RESP_MAX 8192

struct conn {
    int fd;
    size_t got;         /* request bytes read */
    size_t sent, len;   /* response bytes written, response length (len 0: still reading) */
    char req[REQ_MAX];
    char resp[RESP_MAX];
};

static struct conn *conns[MAX_CONNS];
static struct pollfd pfds[MAX_CONNS + 1];
static const char *root;

static void on_term(int sig) { (void)sig; _exit(0); }

static void respond(struct conn *c, int status, const char *reason, const char *body, size_t blen, int head) {
    int n = snprintf(c->resp, RESP_MAX,
                     "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, reason, blen);
    if (!head && blen > 0 && (size_t)n + blen <= RESP_MAX) { memcpy(c->resp + n, body, blen); n += (int)blen; }
    c->len = (size_t)n;
}

/* Decide the response once the request head is complete. */
static void handle(struct conn *c) {
    char method[8], target[1024];
    c->req[c->got < REQ_MAX ? c->got : REQ_MAX - 1] = 0;
    if (sscanf(c->req, "%7s %1023s", method, target) != 2) { respond(c, 400, "Bad Request", "bad request\n", 12, 0); return; }
    int head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0) { respond(c, 405, "Method Not Allowed", "method not allowed\n", 19, 0); return; }
    char *q = strchr(target, '?');
    if (q) *q = 0;
    if (target[0] != '/' || strstr(target, "..")) { respond(c, 400, "Bad Request", "bad path\n", 9, 0); return; }
    char file[2048];
    snprintf(file, sizeof file, "%s%s", root, target);
    int fd = open(file, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        respond(c, 404, "Not Found", "not found\n", 10, 0);
        return;
    }
    char body[RESP_MAX / 2];
    ssize_t blen = read(fd, body, sizeof body);
    close(fd);
    if (blen < 0) { respond(c, 500, "Internal Server Error", "read failed\n", 12, 0); return; }
    respond(c, 200, "OK", body, (size_t)blen, head);
}

static void drop(int i) {
    close(conns[i]->fd);
    free(conns[i]);
    conns[i] = NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: serve PORT DIR\n"); return 2; }
    root = argv[2];
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0) { perror("serve: bind"); return 1; }
    if (listen(ls, SOMAXCONN) != 0) { perror("serve: listen"); return 1; }
    fprintf(stderr, "serve: listening on :%s, serving %s\n", argv[1], root);

    for (;;) {
        int n = 0, idx[MAX_CONNS];
        pfds[n].fd = ls; pfds[n].events = POLLIN; n++;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (!conns[i]) continue;
            idx[n - 1] = i;
            pfds[n].fd = conns[i]->fd;
            pfds[n].events = conns[i]->len ? POLLOUT : POLLIN;
            n++;
        }
        if (poll(pfds, (nfds_t)n, -1) < 0) { if (errno == EINTR) continue; perror("serve: poll"); return 1; }

        for (int k = 1; k < n; k++) {
            if (!pfds[k].revents) continue;
            struct conn *c = conns[idx[k - 1]];
            if (!c->len) {
                ssize_t r = read(c->fd, c->req + c->got, REQ_MAX - 1 - c->got);
                if (r <= 0) { if (r < 0 && errno == EAGAIN) continue; drop(idx[k - 1]); continue; }
                c->got += (size_t)r;
                c->req[c->got] = 0;
                if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") || c->got >= REQ_MAX - 1) handle(c);
            }
            if (c->len) {
                ssize_t w = write(c->fd, c->resp + c->sent, c->len - c->sent);
                if (w < 0 && errno == EAGAIN) continue;
                if (w <= 0 || (c->sent += (size_t)w) == c->len) drop(idx[k - 1]);
            }
        }

        if (pfds[0].revents & POLLIN) {
            for (;;) {
                int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
                if (fd < 0) break;
                int slot = -1;
                for (int i = 0; i < MAX_CONNS; i++) if (!conns[i]) { slot = i; break; }
                struct conn *c = slot < 0 ? NULL : calloc(1, sizeof *c);
                if (!c) { close(fd); break; }
                c->fd = fd;
                conns[slot] = c;
            }
        }
    }
}
