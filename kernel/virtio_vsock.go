package kernel

import (
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// The virtio-vsock driver: packets between the guest's AF_VSOCK sockets
// (vsock_socket.go) and the host. Receive buffers and transmit slots are
// fixed sets of pages, each a buffer of vsPagesPerBuf pages that the ring
// sees as one chain; a packet is its header followed by its payload,
// spanning the pages.
//
// Packets are processed in system-call context, never in the interrupt
// handler: the interrupt only wakes the threads waiting on vsock sockets
// and on epoll; whoever runs next calls vsockPoll, which takes the used
// receive buffers in ring order, updates sockets and reposts the buffers.
// Replies vsockPoll must send (responses, resets, credit updates) go
// through a small queue when no transmit slot is free, so that processing
// never blocks.

const (
	vsPagesPerBuf = 4
	vsBufSize     = vsPagesPerBuf * pageSize
	vsMaxPayload  = vsBufSize - virtio.VsockHdrSize
	vsRxBufs      = vio.QueueMaxSize / vsPagesPerBuf
	vsTxSlots     = vio.QueueMaxSize / vsPagesPerBuf
	vsCtlQueue    = 256
)

// vsBuf is one multi-page packet buffer.
type vsBuf [vsPagesPerBuf]uintptr

var vsd struct {
	up      bool
	dev     *vio.Device
	rx, tx  *vio.Queue
	ev      *vio.Queue
	cid     uint64
	rxBufs  [vsRxBufs]vsBuf
	headBuf [vio.QueueMaxSize]int16 // rx head → buffer index
	txBufs  [vsTxSlots]vsBuf
	txBusy  [vsTxSlots]bool
	txHead  [vsTxSlots]uint16
	evPage  uintptr
	inPoll  bool
	ctl     [vsCtlQueue]virtio.VsockHdr // replies waiting for a slot
	ctlHead int
	ctlN    int
}

// vsockAttach initializes the vsock device d.
func vsockAttach(d *vio.Device) bool {
	if vsd.up || !d.Begin(0) {
		return false
	}
	vsd.dev = d
	vsd.cid = d.Config64(0)
	vsd.rx = d.SetupQueue(virtio.VsockQueueRX)
	vsd.tx = d.SetupQueue(virtio.VsockQueueTX)
	vsd.ev = d.SetupQueue(virtio.VsockQueueEvent)
	vsd.evPage = mm.Alloc()
	if vsd.rx == nil || vsd.tx == nil || vsd.ev == nil || vsd.evPage == 0 {
		return false
	}
	if !vsAllocBufs(vsd.rxBufs[:]) || !vsAllocBufs(vsd.txBufs[:]) {
		return false
	}
	for i := range vsd.rxBufs {
		vsPostRx(i)
	}
	ev := [1]vio.Seg{{Addr: vsd.evPage, Len: 8, DevWrites: true}}
	vsd.ev.Add(ev[:])
	d.Finish()
	vsd.rx.Kick()
	vsd.ev.Kick()
	vsd.up = true
	return true
}

func vsAllocBufs(bufs []vsBuf) bool {
	for i := range bufs {
		for k := range bufs[i] {
			if bufs[i][k] = mm.Alloc(); bufs[i][k] == 0 {
				return false
			}
		}
	}
	return true
}

// vsPostRx makes receive buffer i available to the device.
func vsPostRx(i int) {
	var segs [vsPagesPerBuf]vio.Seg
	for k, p := range vsd.rxBufs[i] {
		segs[k] = vio.Seg{Addr: p, Len: pageSize, DevWrites: true}
	}
	head := vsd.rx.Add(segs[:])
	vsd.headBuf[head] = int16(i)
}

// vsCopy copies between b and buf starting at byte off of buf; toBuf
// chooses the direction. It returns the bytes copied.
func vsCopy(buf *vsBuf, off int, b []byte, toBuf bool) int {
	done := 0
	for done < len(b) && off < vsBufSize {
		pg, po := off/pageSize, off%pageSize
		m := min(len(b)-done, pageSize-po)
		page := unsafeSlice(buf[pg]+uintptr(po), uintptr(m))
		if toBuf {
			copy(page, b[done:done+m])
		} else {
			copy(b[done:done+m], page)
		}
		done += m
		off += m
	}
	return done
}

// vsockIntr runs in the interrupt handler of the vsock device: it only
// wakes whoever waits for vsock progress.
func vsockIntr() {
	wakeKey(vsockKey())
	epollNotify()
}

// vsockKey is the wait key of every thread blocked on a vsock socket.
func vsockKey() uintptr { return uintptrOf(&vsd) }

// vsockWait blocks until the device interrupts or a socket changes.
func vsockWait() int32 {
	if vsd.dev.Polling() {
		yield()
		return wakeEvent
	}
	return waitOn(vsockKey(), 0)
}

// vsockPoll processes every packet the device has delivered and flushes
// queued replies. It never blocks.
func vsockPoll() {
	if !vsd.up || vsd.inPoll {
		return
	}
	vsd.inPoll = true
	vsFlushCtl()
	reposted := false
	for {
		head, n, ok := vsd.rx.NextUsed()
		if !ok {
			break
		}
		bi := int(vsd.headBuf[head])
		vsd.rx.Free(head)
		var hb [virtio.VsockHdrSize]byte
		if n >= virtio.VsockHdrSize {
			buf := &vsd.rxBufs[bi]
			vsCopy(buf, 0, hb[:], false)
			h := virtio.DecodeVsockHdr(hb[:])
			if h.Len <= n-virtio.VsockHdrSize {
				vsockPacket(&h, buf)
			} else {
				vsTrace("a packet longer than its buffer dropped", &h)
			}
		}
		vsPostRx(bi)
		reposted = true
	}
	if reposted {
		vsd.rx.Kick()
	}
	vsd.inPoll = false
}

// vsTxReap frees the transmit slots the device is done with.
func vsTxReap() {
	vsd.tx.Reap()
	for i := range vsd.txBusy {
		if vsd.txBusy[i] && vsd.tx.Done(vsd.txHead[i]) {
			vsd.tx.Free(vsd.txHead[i])
			vsd.txBusy[i] = false
		}
	}
}

// vsTxSlot returns a free transmit slot, or -1 if all are in flight.
func vsTxSlot() int {
	for pass := 0; pass < 2; pass++ {
		for i := range vsd.txBusy {
			if !vsd.txBusy[i] {
				return i
			}
		}
		vsTxReap()
	}
	return -1
}

// vsTransmit sends h and payload from slot i.
func vsTransmit(i int, h *virtio.VsockHdr, payload []byte) {
	buf := &vsd.txBufs[i]
	h.SrcCID = vsd.cid
	h.Type = virtio.VsockTypeStream
	h.Len = uint32(len(payload))
	var hb [virtio.VsockHdrSize]byte
	h.Encode(hb[:])
	vsCopy(buf, 0, hb[:], true)
	vsCopy(buf, virtio.VsockHdrSize, payload, true)
	total := virtio.VsockHdrSize + len(payload)
	var segs [vsPagesPerBuf]vio.Seg
	n := 0
	for off := 0; off < total; off += pageSize {
		segs[n] = vio.Seg{Addr: buf[n], Len: uint32(min(pageSize, total-off))}
		n++
	}
	vsd.txBusy[i] = true
	vsd.txHead[i] = vsd.tx.Add(segs[:n])
	vsd.tx.Kick()
}

// vsSendCtl sends a packet without payload without blocking: it is queued
// if no slot is free.
func vsSendCtl(h virtio.VsockHdr) {
	vsFlushCtl()
	if vsd.ctlN == 0 {
		if i := vsTxSlot(); i >= 0 {
			vsTransmit(i, &h, nil)
			return
		}
	}
	if vsd.ctlN == vsCtlQueue {
		vsTrace("reply queue full: reply dropped", &h)
		return // dropped; the peer will ask for credit or time out
	}
	vsd.ctl[(vsd.ctlHead+vsd.ctlN)%vsCtlQueue] = h
	vsd.ctlN++
}

// vsFlushCtl sends queued replies while slots are free.
func vsFlushCtl() {
	for vsd.ctlN > 0 {
		i := vsTxSlot()
		if i < 0 {
			return
		}
		h := vsd.ctl[vsd.ctlHead]
		vsd.ctlHead = (vsd.ctlHead + 1) % vsCtlQueue
		vsd.ctlN--
		vsTransmit(i, &h, nil)
	}
}

// vsSendData sends a packet with payload, waiting for a slot. It returns
// false if a signal interrupted the wait.
func vsSendData(h virtio.VsockHdr, payload []byte) bool {
	for {
		vsFlushCtl()
		if vsd.ctlN == 0 {
			if i := vsTxSlot(); i >= 0 {
				vsTransmit(i, &h, payload)
				return true
			}
		}
		if vsockWait() == wakeSignal {
			return false
		}
		vsockPoll()
	}
}
