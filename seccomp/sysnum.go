package seccomp

// i386 reaches the socket and SysV IPC calls two ways: through the
// multiplexers socketcall(2) (102) and ipc(2) (117), and, since Linux 4.3
// (sockets) and 5.1 (IPC), through calls of their own. libseccomp's name
// lookup answers the multiplexed pseudo-number for these names (socket is
// -101), a number no kernel ever sees: asked about socket on x86, a
// caller would decide a call nobody can make and miss the one an attacker
// makes. The filter libseccomp compiles does cover the direct numbers;
// only the lookup is wrong. Numbers from the kernel's
// arch/x86/entry/syscalls/syscall_32.tbl (TestSyscallNumbersMatchKernel
// checks them against the installed uapi headers).
var i386Direct = map[string]int32{
	"recvmmsg": 337, "sendmmsg": 345,
	"socket": 359, "socketpair": 360, "bind": 361, "connect": 362,
	"listen": 363, "accept4": 364, "getsockopt": 365, "setsockopt": 366,
	"getsockname": 367, "getpeername": 368, "sendto": 369, "sendmsg": 370,
	"recvfrom": 371, "recvmsg": 372, "shutdown": 373,
	"semget": 393, "semctl": 394, "shmget": 395, "shmctl": 396,
	"shmat": 397, "shmdt": 398, "msgget": 399, "msgsnd": 400,
	"msgrcv": 401, "msgctl": 402,
}

// socketcallCalls are socketcall(2)'s call numbers (linux/net.h SYS_*).
// Its second argument points at the real arguments, which no filter can
// read: a filter sees only which call is asked for.
var socketcallCalls = map[string]uint64{
	"socket": 1, "bind": 2, "connect": 3, "listen": 4, "accept": 5,
	"getsockname": 6, "getpeername": 7, "socketpair": 8, "send": 9,
	"recv": 10, "sendto": 11, "recvfrom": 12, "shutdown": 13,
	"setsockopt": 14, "getsockopt": 15, "sendmsg": 16, "recvmsg": 17,
	"accept4": 18, "recvmmsg": 19, "sendmmsg": 20,
}

// ipcCall is how ipc(2) (i386 117) carries one SysV IPC call: its call
// number, and where each of the direct call's arguments goes among ipc's
// own (first, second, third, ptr, fifth are ipc's arguments 1 to 5).
// Unlike socketcall, ipc passes its arguments in registers, so a filter
// could test them: at these positions.
type ipcCall struct {
	call uint64
	// at[i] is the ipc argument holding the direct call's argument i
	// (0: not passed).
	at [6]int
}

// ipcCalls are ipc(2)'s calls (linux/ipc.h) with the argument layout of
// ipc/syscall.c's ksys_ipc.
var ipcCalls = map[string]ipcCall{
	"semop":      {1, [6]int{1, 4, 2}},    // (semid, sops, nsops) -> ipc(SEMOP, semid, nsops, _, sops)
	"semget":     {2, [6]int{1, 2, 3}},    // (key, nsems, semflg)
	"semctl":     {3, [6]int{1, 2, 3}},    // (semid, semnum, cmd, arg) -> ptr points at arg
	"semtimedop": {4, [6]int{1, 4, 2, 5}}, // (semid, sops, nsops, timeout)
	"msgsnd":     {11, [6]int{1, 4, 2, 3}},
	// msgrcv through ipc version 1 (call 12 | 1<<16) passes msgtyp in fifth
	"msgrcv": {12 | 1<<16, [6]int{1, 4, 2, 5, 3}},
	"msgget": {13, [6]int{1, 2}},
	"msgctl": {14, [6]int{1, 2, 4}}, // (msqid, cmd, buf) -> ipc(MSGCTL, msqid, cmd, _, buf)
	"shmat":  {21, [6]int{1, 4, 2}}, // (shmid, shmaddr, shmflg) -> ipc(SHMAT, shmid, shmflg, &raddr, shmaddr)
	"shmdt":  {22, [6]int{4}},       // (shmaddr) -> ipc(SHMDT, _, _, _, shmaddr)
	"shmget": {23, [6]int{1, 2, 3}}, // (key, size, shmflg)
	"shmctl": {24, [6]int{1, 2, 4}}, // (shmid, cmd, buf)
}

// SocketcallNumber is socketcall(2)'s call number for name (SYS_SOCKET
// is 1), false for a call socketcall does not make.
func SocketcallNumber(name string) (uint64, bool) {
	n, ok := socketcallCalls[name]
	return n, ok
}

// multiplexer names the i386 multiplexer that carries name, if any.
func multiplexer(name string) string {
	if _, ok := socketcallCalls[name]; ok {
		return "socketcall"
	}
	if _, ok := ipcCalls[name]; ok {
		return "ipc"
	}
	return ""
}
