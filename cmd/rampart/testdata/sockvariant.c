/* sockvariant makes one socket(2) call with the arguments exactly as given
 * (64-bit values: glibc's socket() would cut them to int before the filter
 * sees them) through the ABI asked for, and prints "fd" when the kernel
 * made a socket, or the errno, so a test can tell the filter's refusal
 * (its errno) from a call that ran.
 *
 *   sockvariant sys64 FAMILY TYPE PROTO       x86_64 socket (41), SYSCALL
 *   sockvariant int80 FAMILY TYPE PROTO       i386 socket (359), INT $0x80
 *   sockvariant socketcall FAMILY TYPE PROTO  i386 socketcall(SYS_SOCKET), INT $0x80
 *
 * Numbers take C's prefixes (0x...). Built 64-bit and static: its data
 * sits below 4 GiB, where an i386 call's pointer must point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned int scargs[3]; /* socketcall's argument block */

static long sys64(long nr, unsigned long a1, unsigned long a2, unsigned long a3) {
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2), "d"(a3) : "rcx", "r11", "memory");
	return ret;
}

static long int80(long nr, unsigned long a1, unsigned long a2, unsigned long a3) {
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a1), "c"(a2), "d"(a3) : "memory");
	return (int)ret; /* the i386 result is 32-bit */
}

int main(int argc, char **argv) {
	unsigned long a[3];
	long ret;
	int i;
	if (argc != 5) {
		fprintf(stderr, "usage: sockvariant sys64|int80|socketcall FAMILY TYPE PROTO\n");
		return 2;
	}
	for (i = 0; i < 3; i++)
		a[i] = strtoul(argv[i + 2], NULL, 0);
	if (strcmp(argv[1], "sys64") == 0) {
		ret = sys64(41, a[0], a[1], a[2]);
	} else if (strcmp(argv[1], "int80") == 0) {
		ret = int80(359, a[0], a[1], a[2]);
	} else if (strcmp(argv[1], "socketcall") == 0) {
		for (i = 0; i < 3; i++)
			scargs[i] = (unsigned int)a[i];
		ret = int80(102, 1 /* SYS_SOCKET */, (unsigned long)scargs, 0);
	} else {
		fprintf(stderr, "unknown mode %s\n", argv[1]);
		return 2;
	}
	if (ret >= 0)
		printf("fd\n");
	else
		printf("%ld\n", -ret);
	return 0;
}
