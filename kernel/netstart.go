package kernel

// The network service (package netsvc) starts on first need. Its init only
// opens /dev/net0 and parks (IoctlPark), and one of its goroutines blocks
// in IoctlAwaitNeed. The first socket call that needs another machine
// (netNeed: a connect or a datagram to a non-local address, a listener or
// datagram port reachable from outside, a bind to the guest's own
// address) releases that goroutine and waits, in the kernel, until the
// service has opened /dev/netctl and told its address (IoctlSetAddr) or
// reported that it could not start (IoctlStartFailed). Calls on other
// cores that need it meanwhile wait the same way, so the first connection
// or datagram is never lost and the service starts once. The kernel
// allocates nothing for it: the service's goroutine already exists.

// Network service states.
const (
	nsNone     = iota // no service waits: sockets reach this machine only, unless /dev/netctl is open
	nsParked          // a service waits for first need
	nsStarting        // a call needed it: the service is starting
	nsUp              // the service runs (it has told the kernel its address)
	nsFailed          // it could not start: calls that need it get netSvc.errno
)

var netSvc struct {
	state uint8
	errno int32 // of nsFailed
}

// netNeed makes sure the network service runs, for a call that needs
// another machine: 0 once it runs, or the errno the call returns
// (ENETUNREACH when there is none, the service's errno when it could not
// start, -errRestartSys when a signal cuts the wait).
func netNeed() int64 {
	for {
		switch netSvc.state {
		case nsParked:
			netSvc.state = nsStarting
			wakeKey(uintptrOf(&netSvc))
		case nsStarting:
			if waitOn(uintptrOf(&netSvc), 0) == wakeSignal {
				return -errRestartSys
			}
		case nsFailed:
			return -int64(netSvc.errno)
		default:
			if ncDev.open {
				return 0
			}
			return -ENETUNREACH
		}
	}
}

// netNeedListen is netNeed for a port that becomes reachable from outside
// (a listener, a bound datagram socket): without a service the socket
// still serves this machine, as on a Linux host without interfaces, so
// only a cut wait is an error.
func netNeedListen() int64 {
	if e := netNeed(); e == -errRestartSys {
		return e
	}
	return 0
}

// reachableFromOutside reports whether a socket bound to a accepts
// connections or datagrams from other machines: any address but a
// loopback one.
func reachableFromOutside(a [16]byte) bool {
	return isUnspecified(a) || !isLoopback(a)
}

// netSvcChanged records a change of the service's state and wakes the
// calls waiting for it.
func netSvcChanged(state uint8, errno int32) {
	netSvc.state, netSvc.errno = state, errno
	wakeKey(uintptrOf(&netSvc))
}

// netPark is IoctlPark: the service will start on first need.
func netPark() int64 {
	switch netSvc.state {
	case nsNone:
		if ncDev.open {
			return -EBUSY // a service runs already
		}
		netSvc.state = nsParked
		return 0
	case nsParked, nsStarting:
		return 0
	}
	return -EBUSY
}

// netAwaitNeed is IoctlAwaitNeed: it returns once a call needs the
// service.
func netAwaitNeed() int64 {
	for netSvc.state == nsParked {
		if waitOn(uintptrOf(&netSvc), 0) == wakeSignal {
			return -errRestartSys
		}
	}
	if netSvc.state != nsStarting {
		return -EINVAL
	}
	return 0
}

// netStartFailed is IoctlStartFailed: the calls waiting for the service,
// and later ones, get errno.
func netStartFailed(errno uintptr) int64 {
	if errno == 0 || errno >= 4096 {
		return -EINVAL
	}
	if netSvc.state != nsStarting && netSvc.state != nsParked {
		return -EINVAL
	}
	netSvcChanged(nsFailed, int32(errno))
	return 0
}

// netSvcUp runs when the service tells the kernel its address.
func netSvcUp() {
	if netSvc.state == nsStarting || netSvc.state == nsParked {
		netSvcChanged(nsUp, 0)
	}
}

// netSvcGone runs when the service closes /dev/net0 or /dev/netctl: a
// service that was waiting or running is no more (one that failed stays
// failed); waiting calls see ENETUNREACH.
func netSvcGone(dev bool) {
	switch {
	case netSvc.state == nsUp && !dev,
		(netSvc.state == nsParked || netSvc.state == nsStarting) && dev:
		netSvcChanged(nsNone, 0)
	}
}
