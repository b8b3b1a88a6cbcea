// relative opens files by relative paths, both ways the kernel anchors
// them: against the cwd (after chdir("/etc"): "hostname") and against a
// directory fd (/usr/bin: "env"), then exits at once.
static long sys(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

#define AT_FDCWD -100
#define O_DIRECTORY 0200000

void _start(void)
{
	sys(80, (long)"/etc", 0, 0); // chdir
	sys(3, sys(257, AT_FDCWD, (long)"hostname", 0), 0, 0);
	long d = sys(257, AT_FDCWD, (long)"/usr/bin", O_DIRECTORY);
	sys(3, sys(257, d, (long)"env", 0), 0, 0);
	sys(60, 0, 0, 0);
	for (;;)
		;
}
