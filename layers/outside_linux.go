package layers

import "golang.org/x/sys/unix"

// bindOutside binds a datagram socket to an abstract name the kernel
// picks, held by this process, outside every step's workload: on a host
// where nothing else binds one, abstract-unix-connect would otherwise
// find nothing to reach and show no layer closing it. A datagram socket,
// because a connect to one is seen by nobody and sends nothing. A step
// in a network namespace of its own does not see it, as it sees none of
// the host's.
func bindOutside() func() {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return func() {}
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{}); err != nil {
		unix.Close(fd)
		return func() {}
	}
	return func() { unix.Close(fd) }
}
