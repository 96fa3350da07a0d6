package kernel

import (
	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// The virtio-net driver. The kernel has no TCP/IP stack: it moves Ethernet
// frames between the device and /dev/net0, which the network service
// (package netsvc, in the program) reads and writes one frame per call.
//
// Every receive buffer and transmit slot is one page: the 12-byte
// virtio_net_hdr and a frame of at most 1514 bytes (no offloads are
// negotiated, so no larger frames arrive). As with vsock, the interrupt
// handler only wakes; frames are taken from the used ring by the reader.

const (
	netFeatureMAC = 5  // VIRTIO_NET_F_MAC
	netHdrLen     = 12 // virtio_net_hdr with num_buffers (VERSION_1)
	netMaxFrame   = 1514
	netMinFrame   = 14
	netBufs       = 128 // receive buffers and transmit slots each
	netRxBatch    = 16  // returned receive buffers per notification

	ioctlSIOCGHWAD = 0x8927 // SIOCGIFHWADDR
)

var vnet struct {
	up         bool
	open       bool
	dev        *vio.Device
	rx, tx     *vio.Queue
	mac        [6]byte
	rxPage     [netBufs]uintptr
	headBuf    [vio.QueueMaxSize]int16 // rx head → buffer
	txPage     [netBufs]uintptr
	txBusy     [netBufs]bool
	txHead     [netBufs]uint16
	gen        uint64
	rxUnkicked int
	rxFrames   uint64
	txFrames   uint64
	// Frames and bytes carried (/proc/net/dev, /proc/self/net/netstat).
	rxPkts, rxBytes, txBytes uint64
}

// netConf is the interface configuration from the command line
// (net.ip=A.B.C.D/N net.gw=A.B.C.D net.dns=A.B.C.D).
var netConf struct {
	static bool
	ip     [4]byte
	prefix uint8
	gw     [4]byte
	dns    [4]byte
}

// netAttach initializes the virtio-net device d.
func netAttach(d *vio.Device) bool {
	if vnet.up || !d.Begin(1<<netFeatureMAC) {
		return false
	}
	vnet.dev = d
	if d.Has(netFeatureMAC) {
		for i := range vnet.mac {
			vnet.mac[i] = d.Config8(uintptr(i))
		}
	} else {
		vnet.mac = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	}
	vnet.rx = d.SetupQueue(0)
	vnet.tx = d.SetupQueue(1)
	if vnet.rx == nil || vnet.tx == nil {
		return false
	}
	for i := range vnet.rxPage {
		vnet.rxPage[i], vnet.txPage[i] = mm.Alloc(), mm.Alloc()
		if vnet.rxPage[i] == 0 || vnet.txPage[i] == 0 {
			return false
		}
	}
	for i := range vnet.rxPage {
		netPostRx(i)
	}
	d.Finish()
	vnet.rx.Kick()
	vnet.up = true
	return true
}

func netPostRx(i int) {
	seg := [1]vio.Seg{{Addr: vnet.rxPage[i], Len: pageSize, DevWrites: true}}
	head := vnet.rx.Add(seg[:])
	vnet.headBuf[head] = int16(i)
}

// netIntr runs in the device's interrupt handler: it wakes readers,
// writers and epoll.
func netIntr() {
	vnet.gen++
	wakeKey(netKey())
	epollNotify()
}

func netKey() uintptr { return uintptrOf(&vnet) }

// netWait blocks until the device interrupts.
func netWait() int32 {
	if vnet.dev.Polling() {
		yield()
		return wakeEvent
	}
	return waitOn(netKey(), 0)
}

// netPollSleep is how long an epoll wait sleeps between looks at a polled
// network device.
const netPollSleep = 1_000_000 // ns

// netPolledDeadline returns how long an epoll wait may sleep, given its own
// deadline (0: none): with the device polled no interrupt wakes epoll
// waiters, so they look again every netPollSleep.
func netPolledDeadline(deadline int64) int64 {
	if !vnet.up || !vnet.dev.Polling() {
		return deadline
	}
	d := ktime.Now() + netPollSleep
	if deadline == 0 || d < deadline {
		return d
	}
	return deadline
}

// netTxSlot returns a free transmit slot, or -1.
func netTxSlot() int {
	vnet.tx.Reap()
	free := -1
	for i := range vnet.txBusy {
		if vnet.txBusy[i] && vnet.tx.Done(vnet.txHead[i]) {
			vnet.tx.Free(vnet.txHead[i])
			vnet.txBusy[i] = false
		}
		if !vnet.txBusy[i] && free < 0 {
			free = i
		}
	}
	return free
}

// netQueue puts frame b in transmit slot i and makes it available to the
// device; the caller notifies it.
func netQueue(i int, b []byte) {
	p := vnet.txPage[i]
	clear(unsafeSlice(p, netHdrLen))
	copy(unsafeSlice(p+netHdrLen, uintptr(len(b))), b)
	seg := [1]vio.Seg{{Addr: p, Len: uint32(netHdrLen + len(b))}}
	vnet.txBusy[i] = true
	vnet.txHead[i] = vnet.tx.Add(seg[:])
	vnet.txFrames++
	vnet.txBytes += uint64(len(b))
}

// netDevPresent reports whether the guest has a network device.
func netDevPresent() bool { return vnet.up }

// netDevBytes returns the bytes of the frames received and sent.
func netDevBytes() (rx, tx uint64) { return vnet.rxBytes, vnet.txBytes }

// netDevPackets returns the number of frames received and sent.
func netDevPackets() (rx, tx uint64) { return vnet.rxPkts, vnet.txFrames }

// parseIPv4 parses A.B.C.D at the start of s and returns the bytes used
// (0 if s does not start with an address).
func parseIPv4(s string) (a [4]byte, n int) {
	for k := 0; k < 4; k++ {
		if k > 0 {
			if n >= len(s) || s[n] != '.' {
				return a, 0
			}
			n++
		}
		v, m := parseNum(s[n:])
		if m == 0 || m > 3 || v > 255 {
			return a, 0
		}
		a[k] = byte(v)
		n += m
	}
	return a, n
}

// netParam takes one net.* command-line parameter.
func netParam(k, v string) {
	a, n := parseIPv4(v)
	if n == 0 {
		kprint("gotoro: bad address in ")
		kprint(k)
		kprint("=")
		kprint(v)
		kprint("\n")
		return
	}
	switch k {
	case "net.ip":
		prefix := uint64(24)
		if n < len(v) && v[n] == '/' {
			p, m := parseNum(v[n+1:])
			if m == 0 || p > 32 {
				kprint("gotoro: bad prefix length in net.ip=")
				kprint(v)
				kprint("\n")
				return
			}
			prefix = p
		}
		netConf.ip, netConf.prefix, netConf.static = a, uint8(prefix), true
	case "net.gw":
		netConf.gw = a
	case "net.dns":
		netConf.dns = a
		setResolvConf(a)
	}
}
