// openroot opens N different spellings of "/" ("/", "/./", "//", ...):
// N distinct absolute paths, so N file events that the kernel side
// cannot merge, for checking that every one is either recorded or
// counted as lost.
static long sys(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

#define N 2000

void _start(void)
{
	char p[256];
	int n = 0;
	for (int a = 0; a < 45 && n < N; a++) {
		for (int b = 0; b < 45 && n < N; b++, n++) {
			int k = 0;
			p[k++] = '/';
			for (int i = 0; i < a; i++) {
				p[k++] = '.';
				p[k++] = '/';
			}
			for (int i = 0; i < b; i++)
				p[k++] = '/';
			p[k] = 0;
			long fd = sys(257, -100, (long)p, 0); // openat(AT_FDCWD, p, O_RDONLY)
			sys(3, fd, 0, 0);                      // close
		}
	}
	sys(60, 0, 0, 0);
	for (;;)
		;
}
