// gen-i386 is a 32-bit program (gcc -m32 -static -nostdlib): it writes
// "i386\n" and exits 0 with the x86 ABI's write (4) and exit (1), so a
// recorded policy's treatment of that ABI shows in its output.
void _start(void)
{
	static const char msg[] = "i386\n";
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(msg), "d"(sizeof msg - 1) : "memory");
	__asm__ volatile("int $0x80" : : "a"(1), "b"(0));
	for (;;)
		;
}
