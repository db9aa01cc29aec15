/* A statically linked server (as Go builds are): binds PORT itself with the raw bind(), which
 * no preload library can reach, and answers each connection with its pid. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    const char* port = getenv("PORT");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(port ? port : "0"));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0 || listen(fd, 16) != 0) {
        perror("bind");
        return 1;
    }
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) continue;
        char request[1024];
        /* Read the request first: closing with it unread would reset the connection. */
        if (read(c, request, sizeof request) < 0) perror("read");
        char reply[64];
        int n = snprintf(reply, sizeof reply, "HTTP/1.0 200 OK\r\n\r\n%d\n", (int)getpid());
        if (write(c, reply, (size_t)n) < 0) perror("write");
        close(c);
    }
}
