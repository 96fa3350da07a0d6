package kernel

// epoll_pwait and epoll_pwait2: epoll_wait with a signal mask for the
// wait (sigmask_wait.go); epoll_pwait2's timeout is a timespec (NULL:
// none, zero: look once). The Go runtime's netpoller calls epoll_pwait
// with no mask.

func sysEpollPwait(epfd, evs, maxev, timeout, sigmask, sigsize uintptr) int64 {
	if e := waitMaskSet(sigmask, sigsize); e != 0 {
		return e
	}
	deadline, once := epollTimeoutMs(int64(int32(timeout)))
	return waitMaskDone(epollWait(epfd, evs, int32(maxev), deadline, once))
}

func sysEpollPwait2(epfd, evs, maxev, tsp, sigmask, sigsize uintptr) int64 {
	deadline, once, e := readTimeout(tsp)
	if e != 0 {
		return e
	}
	if e := waitMaskSet(sigmask, sigsize); e != 0 {
		return e
	}
	return waitMaskDone(epollWait(epfd, evs, int32(maxev), deadline, once))
}
