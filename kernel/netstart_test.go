package kernel

import "testing"

func TestReachableFromOutside(t *testing.T) {
	for _, c := range []struct {
		name string
		a    [16]byte
		want bool
	}{
		{"0.0.0.0", mappedIP([4]byte{}), true},
		{"::", [16]byte{}, true},
		{"127.0.0.1", mappedIP([4]byte{127, 0, 0, 1}), false},
		{"127.1.2.3", mappedIP([4]byte{127, 1, 2, 3}), false},
		{"::1", [16]byte{15: 1}, false},
		{"10.0.2.15", mappedIP([4]byte{10, 0, 2, 15}), true},
		{"fe80::1", [16]byte{0: 0xfe, 1: 0x80, 15: 1}, true},
	} {
		if got := reachableFromOutside(c.a); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestNetSvcStates walks the service's start states through the calls
// that do not wait.
func TestNetSvcStates(t *testing.T) {
	defer func() { netSvc.state, netSvc.errno = nsNone, 0; ncDev.open = false }()
	netSvc.state, ncDev.open = nsNone, false
	if e := netNeed(); e != -ENETUNREACH {
		t.Errorf("no service: netNeed %d, want ENETUNREACH", e)
	}
	if e := netNeedListen(); e != 0 {
		t.Errorf("no service: netNeedListen %d, want 0", e)
	}
	if e := netStartFailed(uintptr(ENETDOWN)); e != -EINVAL {
		t.Errorf("no service: IoctlStartFailed %d, want EINVAL", e)
	}
	if e := netPark(); e != 0 || netSvc.state != nsParked {
		t.Fatalf("park: %d, state %d", e, netSvc.state)
	}
	if e := netPark(); e != 0 || netSvc.state != nsParked {
		t.Errorf("park again: %d, state %d", e, netSvc.state)
	}
	netSvc.state = nsStarting // what netNeed makes of nsParked before it waits
	if e := netAwaitNeed(); e != 0 {
		t.Errorf("await while starting: %d", e)
	}
	for _, bad := range []uintptr{0, 4096} {
		if e := netStartFailed(bad); e != -EINVAL || netSvc.state != nsStarting {
			t.Errorf("IoctlStartFailed(%d): %d, state %d", bad, e, netSvc.state)
		}
	}
	if e := netStartFailed(uintptr(EADDRNOTAVAIL)); e != 0 || netSvc.state != nsFailed {
		t.Fatalf("IoctlStartFailed: %d, state %d", e, netSvc.state)
	}
	for i := 0; i < 2; i++ {
		if e := netNeed(); e != -EADDRNOTAVAIL {
			t.Errorf("failed start, call %d: netNeed %d, want EADDRNOTAVAIL", i, e)
		}
	}
	if e := netNeedListen(); e != 0 {
		t.Errorf("failed start: netNeedListen %d, want 0", e)
	}
	if e := netPark(); e != -EBUSY {
		t.Errorf("park after a failed start: %d, want EBUSY", e)
	}
	if e := netAwaitNeed(); e != -EINVAL {
		t.Errorf("await after a failed start: %d, want EINVAL", e)
	}
	netSvcGone(true) // a failed service stays failed
	if netSvc.state != nsFailed {
		t.Errorf("closing /dev/net0 after a failed start: state %d", netSvc.state)
	}

	netSvc.state, netSvc.errno = nsStarting, 0
	ncDev.open = true
	netSvcUp()
	if netSvc.state != nsUp {
		t.Fatalf("up: state %d", netSvc.state)
	}
	if e := netNeed(); e != 0 {
		t.Errorf("up: netNeed %d", e)
	}
	netSvcGone(true) // /dev/net0 closed: the service keeps its /dev/netctl
	if netSvc.state != nsUp {
		t.Errorf("up, /dev/net0 closed: state %d", netSvc.state)
	}
	ncDev.open = false
	netSvcGone(false)
	if netSvc.state != nsNone {
		t.Errorf("up, /dev/netctl closed: state %d", netSvc.state)
	}
	if e := netNeed(); e != -ENETUNREACH {
		t.Errorf("gone: netNeed %d, want ENETUNREACH", e)
	}

	// A service that opened /dev/netctl by itself (TestNetctl's).
	ncDev.open = true
	if e := netNeed(); e != 0 {
		t.Errorf("/dev/netctl open, never parked: netNeed %d", e)
	}
	if e := netPark(); e != -EBUSY {
		t.Errorf("park with /dev/netctl open: %d, want EBUSY", e)
	}
}
