package kernel

import "encoding/binary"

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

	ioctlNetCfg    = 0x4E01
	ioctlSIOCGHWAD = 0x8927 // SIOCGIFHWADDR
)

var vnet struct {
	up         bool
	open       bool
	dev        *vdev
	rx, tx     *virtq
	mac        [6]byte
	rxPage     [netBufs]uintptr
	headBuf    [vqMaxSize]int16 // rx head → buffer
	txPage     [netBufs]uintptr
	txBusy     [netBufs]bool
	txHead     [netBufs]uint16
	gen        uint64
	rxUnkicked int
	rxFrames   uint64
	txFrames   uint64
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
func netAttach(d *vdev) bool {
	if vnet.up || !d.begin(1<<netFeatureMAC) {
		return false
	}
	vnet.dev = d
	if d.has(netFeatureMAC) {
		for i := range vnet.mac {
			vnet.mac[i] = d.config8(uintptr(i))
		}
	} else {
		vnet.mac = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	}
	vnet.rx = d.setupQueue(0)
	vnet.tx = d.setupQueue(1)
	if vnet.rx == nil || vnet.tx == nil {
		return false
	}
	for i := range vnet.rxPage {
		vnet.rxPage[i], vnet.txPage[i] = physAlloc(), physAlloc()
		if vnet.rxPage[i] == 0 || vnet.txPage[i] == 0 {
			return false
		}
	}
	for i := range vnet.rxPage {
		netPostRx(i)
	}
	d.finish()
	vnet.rx.kick()
	vnet.up = true
	return true
}

func netPostRx(i int) {
	seg := [1]vseg{{addr: vnet.rxPage[i], len: pageSize, devWrites: true}}
	head := vnet.rx.add(seg[:])
	vnet.headBuf[head] = int16(i)
}

// netIntr runs in the device's interrupt handler: it wakes readers,
// writers and epoll.
func netIntr() {
	vnet.gen++
	wakeKey(netKey())
	wakeKey(epollWaitKey())
}

func netKey() uintptr { return uintptrOf(&vnet) }

// netOpen opens /dev/net0.
func netOpen(flags uint32) int64 {
	if !vnet.up {
		return -ENODEV
	}
	if vnet.open {
		return -EBUSY
	}
	fd, f := newFD(fkNetDev, flags&(oNonblock|oCloexec)|oRdwr)
	if f != nil {
		vnet.open = true
	}
	return fd
}

func netClose() { vnet.open = false }

// netWait blocks until the device interrupts.
func netWait() int32 {
	if vnet.dev.polling {
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
	if !vnet.up || !vnet.dev.polling {
		return deadline
	}
	d := nanotime() + netPollSleep
	if deadline == 0 || d < deadline {
		return d
	}
	return deadline
}

// netRead takes one received frame into b.
func netRead(f *file, b []byte) int64 {
	for {
		head, n, ok := vqNextUsed(vnet.rx)
		if ok {
			bi := int(vnet.headBuf[head])
			vnet.rx.free(head)
			m := 0
			if n > netHdrLen {
				m = copy(b, unsafeSlice(vnet.rxPage[bi]+netHdrLen, uintptr(n-netHdrLen)))
			}
			netPostRx(bi)
			// The device keeps most buffers: tell it about returned ones
			// in batches, one VM exit per netRxBatch frames.
			if vnet.rxUnkicked++; vnet.rxUnkicked >= netRxBatch {
				vnet.rxUnkicked = 0
				vnet.rx.kickIfNeeded()
			}
			vnet.rxFrames++
			if n <= netHdrLen {
				continue // an empty buffer: nothing to hand over
			}
			return int64(m)
		}
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if netWait() == wakeSignal {
			return -EINTR
		}
	}
}

// netTxSlot returns a free transmit slot, or -1.
func netTxSlot() int {
	vnet.tx.reap()
	free := -1
	for i := range vnet.txBusy {
		if vnet.txBusy[i] && vnet.tx.done[vnet.txHead[i]] {
			vnet.tx.free(vnet.txHead[i])
			vnet.txBusy[i] = false
		}
		if !vnet.txBusy[i] && free < 0 {
			free = i
		}
	}
	return free
}

// netWrite sends the frame in b.
func netWrite(f *file, b []byte) int64 {
	if len(b) < netMinFrame || len(b) > netMaxFrame {
		return -EINVAL
	}
	i, e := netTxWait(f)
	if e != 0 {
		return e
	}
	netQueue(i, b)
	vnet.tx.kickIfNeeded()
	return int64(len(b))
}

// netWritev sends one frame per entry of the user iovec array v and
// notifies the device once for all of them: a notification is a VM exit,
// and a TCP stack sends frames in bursts. It returns the bytes of the
// frames sent; when the queue fills after some were sent, it stops there
// rather than wait.
func netWritev(f *file, v []byte) int64 {
	total := int64(0)
	g := ioVec{v: v, use: true}
	for k := 0; k < g.count(); k++ {
		b, ok := g.part(k, false)
		if !ok {
			return netWritevEnd(total, -EFAULT)
		}
		if len(b) < netMinFrame || len(b) > netMaxFrame {
			return netWritevEnd(total, -EINVAL)
		}
		i := netTxSlot()
		if i < 0 && total > 0 {
			break
		}
		if i < 0 {
			var e int64
			if i, e = netTxWait(f); e != 0 {
				return e
			}
		}
		netQueue(i, b)
		total += int64(len(b))
	}
	if total > 0 {
		vnet.tx.kickIfNeeded()
	}
	return total
}

// netWritevEnd returns what netWritev reports when entry k is bad: the
// frames before it went out, else the error.
func netWritevEnd(total, e int64) int64 {
	if total > 0 {
		vnet.tx.kickIfNeeded()
		return total
	}
	return e
}

// netTxWait returns a free transmit slot, waiting for one unless f is
// non-blocking.
func netTxWait(f *file) (int, int64) {
	i := netTxSlot()
	for i < 0 {
		if f.flags&oNonblock != 0 {
			return -1, -EAGAIN
		}
		if netWait() == wakeSignal {
			return -1, -EINTR
		}
		i = netTxSlot()
	}
	return i, 0
}

// netQueue puts frame b in transmit slot i and makes it available to the
// device; the caller notifies it.
func netQueue(i int, b []byte) {
	p := vnet.txPage[i]
	clear(unsafeSlice(p, netHdrLen))
	copy(unsafeSlice(p+netHdrLen, uintptr(len(b))), b)
	seg := [1]vseg{{addr: p, len: uint32(netHdrLen + len(b))}}
	vnet.txBusy[i] = true
	vnet.txHead[i] = vnet.tx.add(seg[:])
	vnet.txFrames++
}

// netReadiness returns the epoll events of /dev/net0.
func netReadiness() uint32 {
	r := uint32(0)
	if vnet.rx.lastUsed != vnet.rx.usedIdx() {
		r |= epollIn
	}
	if netTxSlot() >= 0 {
		r |= epollOut
	}
	return r
}

// netGen is /dev/net0's readiness generation: it moves with every
// interrupt and every frame taken or sent.
func netGen() uint64 { return vnet.gen + vnet.rxFrames + vnet.txFrames }

// netIoctl answers GOTORO_NETCFG and SIOCGIFHWADDR.
func netIoctl(req, arg uintptr) int64 {
	switch req {
	case ioctlNetCfg:
		b, ok := userBytes(arg, 32, true)
		if !ok {
			return -EFAULT
		}
		clear(b)
		copy(b[0:6], vnet.mac[:])
		binary.LittleEndian.PutUint16(b[6:], netMaxFrame-netMinFrame)
		copy(b[8:12], netConf.ip[:])
		b[12] = netConf.prefix
		copy(b[16:20], netConf.gw[:])
		copy(b[20:24], netConf.dns[:])
		if netConf.static {
			b[24] = 1
		}
		return 0
	case ioctlSIOCGHWAD:
		b, ok := userBytes(arg, 40, true)
		if !ok {
			return -EFAULT
		}
		copy(b[0:16], "eth0\x00")
		binary.LittleEndian.PutUint16(b[16:], 1) // ARPHRD_ETHER
		copy(b[18:24], vnet.mac[:])
		return 0
	}
	return -ENOTTY
}

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
