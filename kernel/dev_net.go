package kernel

import (
	"github.com/gotoro/gotoro/internal/byteorder"
	"github.com/gotoro/gotoro/internal/netctl"
)

// /dev/net0: the virtio-net device's frames (virtio_net.go) as a file, for
// the network service (package netsvc): one Ethernet frame per read or
// write, a burst of frames per writev, the device's address and the
// interface configuration by ioctl. One opener at a time.

// netDevFile is the open /dev/net0.
type netDevFile struct{ fileBase }

func (*netDevFile) read(f *file, b []byte, off int64) int64     { return netRead(f, b) }
func (*netDevFile) write(f *file, b []byte, off int64) int64    { return netWrite(f, b) }
func (*netDevFile) writev(f *file, iov []byte, off int64) int64 { return netWritev(f, iov) }
func (*netDevFile) readiness(f *file) uint32                    { return netReadiness() }
func (*netDevFile) gen(f *file) uint64                          { return netGen() }
func (*netDevFile) ioctl(f *file, req, arg uintptr) int64       { return netIoctl(req, arg) }
func (*netDevFile) release(f *file) {
	vnet.open = false
	netSvcGone(true)
}

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

// netRead takes one received frame into b.
func netRead(f *file, b []byte) int64 {
	for {
		head, n, ok := vnet.rx.NextUsed()
		if ok {
			bi := int(vnet.headBuf[head])
			vnet.rx.Free(head)
			m := 0
			if n > netHdrLen {
				m = copy(b, unsafeSlice(vnet.rxPage[bi]+netHdrLen, uintptr(n-netHdrLen)))
			}
			netPostRx(bi)
			// The device keeps most buffers: tell it about returned ones
			// in batches, one VM exit per netRxBatch frames.
			if vnet.rxUnkicked++; vnet.rxUnkicked >= netRxBatch {
				vnet.rxUnkicked = 0
				vnet.rx.KickIfNeeded()
			}
			vnet.rxFrames++
			if n <= netHdrLen {
				continue // an empty buffer: nothing to hand over
			}
			vnet.rxPkts++
			vnet.rxBytes += uint64(n - netHdrLen)
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
	vnet.tx.KickIfNeeded()
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
		vnet.tx.KickIfNeeded()
	}
	return total
}

// netWritevEnd returns what netWritev reports when entry k is bad: the
// frames before it went out, else the error.
func netWritevEnd(total, e int64) int64 {
	if total > 0 {
		vnet.tx.KickIfNeeded()
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

// netReadiness returns the epoll events of /dev/net0.
func netReadiness() uint32 {
	r := uint32(0)
	if vnet.rx.Pending() {
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

// netIoctl answers GOTORO_NETCFG and SIOCGIFHWADDR, and the network
// service's start on first need (netstart.go).
func netIoctl(req, arg uintptr) int64 {
	switch req {
	case netctl.IoctlPark:
		return netPark()
	case netctl.IoctlAwaitNeed:
		return netAwaitNeed()
	case netctl.IoctlStartFailed:
		return netStartFailed(arg)
	case netctl.IoctlNetCfg:
		b, ok := userBytes(arg, netctl.NetCfgLen, true)
		if !ok {
			return -EFAULT
		}
		c := netctl.NetCfg{MAC: vnet.mac, MTU: netMaxFrame - netMinFrame, IP: netConf.ip,
			Prefix: netConf.prefix, GW: netConf.gw, DNS: netConf.dns, Static: netConf.static}
		c.Put(b)
		return 0
	case ioctlSIOCGHWAD:
		b, ok := userBytes(arg, 40, true)
		if !ok {
			return -EFAULT
		}
		copy(b[0:16], "eth0\x00")
		byteorder.LittleEndian.PutUint16(b[16:], 1) // ARPHRD_ETHER
		copy(b[18:24], vnet.mac[:])
		return 0
	}
	return -ENOTTY
}
