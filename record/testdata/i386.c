// i386 is a 32-bit binary (gcc -m32): its calls are the x86 ABI's,
// getpid (20) and exit (1).
void _start(void)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20) : "memory");
	__asm__ volatile("int $0x80" : : "a"(1), "b"(0));
	for (;;)
		;
}
