// bind80 binds a TCP socket to 127.0.0.1:80. The kernel checks
// CAP_NET_BIND_SERVICE before it looks at the port, so the check is
// made (granted for root, denied for nobody) even if the port is taken.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int r = bind(s, (struct sockaddr *)&a, sizeof(a));
	close(s);
	return r == 0 ? 0 : 1;
}
