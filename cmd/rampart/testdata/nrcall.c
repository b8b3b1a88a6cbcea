/* nrcall issues one raw system call by number on the x86_64 ABI, with
 * the given arguments (default 0), and prints the errno it returned (0
 * for success), so a test can tell what a seccomp filter decided for a
 * syscall libc and libseccomp may not know yet.
 *
 *   nrcall NR [ARG...]
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
	long a[6] = {0};
	long ret;
	if (argc < 2 || argc > 8) {
		fprintf(stderr, "usage: nrcall NR [ARG...]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		a[i - 2] = strtol(argv[i], NULL, 0);
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(strtol(argv[1], NULL, 0)), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	/* the kernel returns -errno */
	printf("%ld\n", ret < 0 && ret > -4096 ? -ret : 0);
	return 0;
}
