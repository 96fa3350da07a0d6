package vio

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/arch"
)

// Split virtqueues (virtio 1.2, 2.7): the driver side. A queue's three
// parts each live in a page of their own from Host.Page, so
// guest-physical == kernel-virtual (the identity map) and nothing is
// allocated on the Go heap. Requests are chains of descriptors; a chain of
// more than indirectMin segments goes through an indirect table (one page
// per head, allocated on first use and kept) when the device offers
// VIRTIO_F_INDIRECT_DESC, so a 1 MiB transfer of 256 scattered pages takes
// one ring slot.
//
// Completion is reaped by the threads that wait, never by the interrupt
// handler: Reap moves used-ring entries into per-head done flags, and a
// request's owner frees its chain when it collects the result (so a head
// is never reused before its owner has seen it).

const (
	pageSize = 4096
	// QueueMaxSize is the most entries a queue has (one page of
	// descriptors).
	QueueMaxSize = 256
	indirectMin  = 4 // chains longer than this go indirect
	indirectMax  = pageSize / virtio.DescSize
	maxQueues    = 32
)

// A Seg is one buffer of a request: a guest-physical range the device
// reads (DevWrites false) or writes.
type Seg struct {
	Addr      uintptr
	Len       uint32
	DevWrites bool
	Pinned    bool // user pages the kernel pinned for the request (its DMA code)
}

// A Queue is one split virtqueue of a device.
type Queue struct {
	dev      int32 // index into devices
	qidx     uint16
	size     uint16
	desc     uintptr // descriptor table
	avail    uintptr // available ring
	used     uintptr // used ring
	freeHead uint16
	nfree    uint16
	availIdx uint16 // next available-ring index (driver's copy)
	lastUsed uint16 // next used-ring index to reap
	indirect bool   // VIRTIO_F_INDIRECT_DESC negotiated
	waiters  int32  // threads waiting for free descriptors
	fence    uint32 // target of KickIfNeeded's locked instruction

	done    [QueueMaxSize]bool
	usedLen [QueueMaxSize]uint32
	nchain  [QueueMaxSize]uint16  // descriptors in the chain at head (1 if indirect)
	indir   [QueueMaxSize]uintptr // indirect table page of head, 0 until used
}

var (
	queues  [maxQueues]Queue
	nqueues int
)

// Key is what threads waiting on q block on (Host.Block and Host.Wake).
func (q *Queue) Key() uintptr { return uintptr(unsafe.Pointer(q)) }

func (q *Queue) descAt(i uint16) *virtio.Desc {
	return (*virtio.Desc)(ptr(q.desc + uintptr(i)*virtio.DescSize))
}

// newQueue sets up an empty queue of size entries for device d, queue
// qidx. It returns nil when memory or queue slots are exhausted.
func newQueue(d int32, qidx, size uint16) *Queue {
	if nqueues == maxQueues || size == 0 || size > QueueMaxSize || size&(size-1) != 0 {
		return nil
	}
	desc, avail, used := host.Page(), host.Page(), host.Page()
	if desc == 0 || avail == 0 || used == 0 {
		return nil
	}
	q := &queues[nqueues]
	nqueues++
	*q = Queue{dev: d, qidx: qidx, size: size, desc: desc, avail: avail, used: used, nfree: size}
	for i := uint16(0); i < size; i++ {
		q.descAt(i).Next = i + 1
	}
	return q
}

// descsNeeded is how many ring descriptors a chain of n segments takes.
func (q *Queue) descsNeeded(n int) int {
	if q.indirect && n > indirectMin && n <= indirectMax {
		return 1
	}
	return n
}

// Fits reports whether a chain of n segments can ever be queued on q.
func (q *Queue) Fits(n int) bool {
	return n > 0 && q.descsNeeded(n) <= int(q.size)
}

// Add queues the chain segs and returns its head; the caller must have
// checked Fits. It waits (uninterruptibly) for free descriptors. The
// device sees the chain only after Kick.
func (q *Queue) Add(segs []Seg) uint16 {
	need := q.descsNeeded(len(segs))
	for int(q.nfree) < need {
		q.Reap()
		if int(q.nfree) >= need {
			break
		}
		q.waiters++
		q.Sleep()
		q.waiters--
	}
	head := q.freeHead
	if need == 1 && len(segs) > 1 {
		tbl := q.indir[head]
		if tbl == 0 {
			tbl = host.Page()
			if tbl == 0 {
				host.Stop("virtio: out of memory for an indirect table")
			}
			q.indir[head] = tbl
		}
		for i, s := range segs {
			d := (*virtio.Desc)(ptr(tbl + uintptr(i)*virtio.DescSize))
			d.Addr, d.Len, d.Flags, d.Next = uint64(s.Addr), s.Len, segFlags(s), uint16(i+1)
			if i < len(segs)-1 {
				d.Flags |= virtio.DescNext
			}
		}
		d := q.descAt(head)
		q.freeHead = d.Next
		d.Addr, d.Len, d.Flags = uint64(tbl), uint32(len(segs)*virtio.DescSize), virtio.DescIndirect
		q.nchain[head] = 1
	} else {
		i := head
		for k, s := range segs {
			d := q.descAt(i)
			d.Addr, d.Len, d.Flags = uint64(s.Addr), s.Len, segFlags(s)
			if k < len(segs)-1 {
				d.Flags |= virtio.DescNext
				i = d.Next
			}
		}
		q.freeHead = q.descAt(i).Next
		q.nchain[head] = uint16(len(segs))
	}
	q.nfree -= uint16(need)
	q.done[head] = false
	slot := q.avail + virtio.RingStart + uintptr(q.availIdx&(q.size-1))*2
	*(*uint16)(ptr(slot)) = head
	q.availIdx++
	// Publish the index after the entry (x86 keeps stores in order; the
	// atomic store keeps the compiler from reordering). flags is 0.
	atomic.StoreUint32((*uint32)(ptr(q.avail)), uint32(q.availIdx)<<16)
	return head
}

func segFlags(s Seg) uint16 {
	if s.DevWrites {
		return virtio.DescWrite
	}
	return 0
}

// KickIfNeeded notifies the device unless it has said (used ring flag
// NO_NOTIFY) that it is already processing the queue: under QEMU a
// notification is a VM exit. The locked add orders the avail-index store
// before the flag load.
func (q *Queue) KickIfNeeded() {
	atomic.AddUint32(&q.fence, 0)
	if atomic.LoadUint32((*uint32)(ptr(q.used)))&virtio.UsedNoNotify != 0 {
		return
	}
	q.Kick()
}

// Kick tells the device that new chains are available.
func (q *Queue) Kick() {
	devices[q.dev].write(virtio.MMIOQueueNotify, uint32(q.qidx))
}

// usedIdx reads the device's used index.
func (q *Queue) usedIdx() uint16 {
	return uint16(atomic.LoadUint32((*uint32)(ptr(q.used))) >> 16)
}

// Pending reports whether the device has finished chains that Reap or
// NextUsed has not taken yet.
func (q *Queue) Pending() bool { return q.lastUsed != q.usedIdx() }

// Reap records every chain the device has finished since the last call.
// It reports whether it found any.
func (q *Queue) Reap() bool {
	found := false
	for idx := q.usedIdx(); q.lastUsed != idx; q.lastUsed++ {
		e := q.usedElem(q.lastUsed)
		if e.ID < uint32(q.size) {
			q.done[e.ID] = true
			q.usedLen[e.ID] = e.Len
			found = true
		}
	}
	return found
}

func (q *Queue) usedElem(i uint16) *virtio.UsedElem {
	return (*virtio.UsedElem)(ptr(q.used + virtio.RingStart + uintptr(i&(q.size-1))*8))
}

// NextUsed takes the next finished chain off the used ring, for a queue
// whose completions are consumed one by one (receive queues) rather than
// waited for: its head and the bytes the device wrote; ok is false if
// there is none.
func (q *Queue) NextUsed() (head uint16, n uint32, ok bool) {
	if q.lastUsed == q.usedIdx() {
		return 0, 0, false
	}
	e := q.usedElem(q.lastUsed)
	q.lastUsed++
	return uint16(e.ID), e.Len, true
}

// Done reports whether Reap found the chain at head finished.
func (q *Queue) Done(head uint16) bool { return q.done[head] }

// Wait blocks until the chain at head is finished, frees it and returns
// how many bytes the device wrote. The wait cannot be interrupted by
// signals: the device owns the buffers until it is done.
func (q *Queue) Wait(head uint16) uint32 {
	if !host.CanBlock() {
		return q.Poll(head) // at boot, before any thread can block
	}
	for !q.done[head] {
		if q.Reap() && q.done[head] {
			break
		}
		q.Sleep()
	}
	n := q.usedLen[head]
	q.Free(head)
	return n
}

// Poll is Wait for callers that must not block (the console): it spins on
// the used ring.
func (q *Queue) Poll(head uint16) uint32 {
	for !q.done[head] {
		if !q.Reap() {
			arch.Pause()
		}
	}
	n := q.usedLen[head]
	q.Free(head)
	return n
}

// Free returns the chain at head to the free list.
func (q *Queue) Free(head uint16) {
	q.done[head] = false
	n := q.nchain[head]
	last := head
	for k := uint16(1); k < n; k++ {
		last = q.descAt(last).Next
	}
	q.descAt(last).Next = q.freeHead
	q.freeHead = head
	q.nfree += n
	if q.waiters > 0 {
		host.Wake(q.Key())
	}
}

// Sleep waits for q's device to interrupt (or, in polling mode, lets other
// threads run once), with signals held off.
func (q *Queue) Sleep() {
	if devices[q.dev].polling {
		host.Yield()
		if q.usedIdx() == q.lastUsed {
			arch.Pause()
		}
		return
	}
	host.Block(q.Key())
}
