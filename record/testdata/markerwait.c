// markerwait is marker that stays alive two seconds after its calls: a
// process that still holds its place in the recorder's process table
// while its siblings are forked.
static long sys(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

void _start(void)
{
	static const long two_seconds[2] = {2, 0};
	sys(24, 0, 0, 0);                     // sched_yield
	sys(309, 0, 0, 0);                    // getcpu(NULL, NULL, NULL)
	sys(35, (long)two_seconds, 0, 0);     // nanosleep
	sys(60, 0, 0, 0);                     // exit
	for (;;)
		;
}
