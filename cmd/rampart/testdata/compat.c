/* compat issues unshare(CLONE_NEWUSER|CLONE_NEWNET) through a compat
 * syscall ABI and prints the raw result, so a test can tell which of the
 * seccomp filter (EPERM) and the kernel (0, ENOSYS) decided.
 *
 *   compat int80   the i386 ABI (int 0x80, i386 numbers), from any binary
 *   compat x32     the x32 ABI (nr | 0x40000000) from a 64-bit binary
 *
 * Built -m32 -static, int80 is what a real 32-bit attacker binary does.
 * Built 64-bit, int80 is the classic filter bypass of a 64-bit process
 * switching ABI: a filter that only checks x86_64 numbers misses it.
 */
#include <stdio.h>
#include <string.h>

#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWNET  0x40000000

static long int80(long nr, long a1) {
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a1) : "memory");
	return ret;
}

#ifdef __x86_64__
static long sys64(long nr, long a1) {
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1) : "rcx", "r11", "memory");
	return ret;
}
#endif

int main(int argc, char **argv) {
	long ret;
	if (argc != 2) {
		fprintf(stderr, "usage: compat int80|x32\n");
		return 2;
	}
	if (strcmp(argv[1], "int80") == 0) {
		ret = int80(310 /* i386 __NR_unshare */, CLONE_NEWUSER | CLONE_NEWNET);
	}
#ifdef __x86_64__
	else if (strcmp(argv[1], "x32") == 0) {
		ret = sys64(0x40000000L | 272 /* x32 __NR_unshare */, CLONE_NEWUSER | CLONE_NEWNET);
	}
#endif
	else {
		fprintf(stderr, "unknown mode %s\n", argv[1]);
		return 2;
	}
	/* the kernel returns -errno */
	printf("%ld\n", ret < 0 ? -ret : 0);
	return 0;
}
