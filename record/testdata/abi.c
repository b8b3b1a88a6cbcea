// abi, a 64-bit program, makes one call through each x86 ABI the
// kernel tells apart: getpid as x86_64 (39), as i386 through int 0x80
// (20), and as x32 (39 with bit 30; ENOSYS on kernels without x32).
void _start(void)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	__asm__ volatile("syscall" : "=a"(r) : "a"(0x40000000L | 39) : "rcx", "r11", "memory");
	__asm__ volatile("syscall" : : "a"(60), "D"(0));
	for (;;)
		;
}
