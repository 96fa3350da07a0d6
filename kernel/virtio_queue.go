package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/arch"
)

// Split virtqueues (virtio 1.2, 2.7): the driver side. A queue's three
// parts each live in a page of their own from the physical allocator, so
// guest-physical == kernel-virtual (the identity map) and nothing is
// allocated on the Go heap. Requests are chains of descriptors; a chain of
// more than vqIndirectMin segments goes through an indirect table (one page
// per head, allocated on first use and kept) when the device offers
// VIRTIO_F_INDIRECT_DESC, so a 1 MiB transfer of 256 scattered pages takes
// one ring slot.
//
// Completion is reaped by the threads that wait, never by the interrupt
// handler: reap moves used-ring entries into per-head done flags, and a
// request's owner frees its chain when it collects the result (so a head
// is never reused before its owner has seen it).

const (
	vqMaxSize     = 256 // entries per queue (one page of descriptors)
	vqIndirectMin = 4   // chains longer than this go indirect
	vqIndirectMax = pageSize / virtio.DescSize
	maxVirtqueues = 32
)

// vseg is one buffer of a request: a guest-physical range the device reads
// (devWrites false) or writes.
type vseg struct {
	addr      uintptr
	len       uint32
	devWrites bool
	pinned    bool // user pages dmaSegs pinned: dmaUnpin releases them
}

type virtq struct {
	dev      int32 // index into vdevs
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
	fence    uint32 // target of kickIfNeeded's locked instruction

	done    [vqMaxSize]bool
	usedLen [vqMaxSize]uint32
	nchain  [vqMaxSize]uint16  // descriptors in the chain at head (1 if indirect)
	indir   [vqMaxSize]uintptr // indirect table page of head, 0 until used
}

var (
	vqs  [maxVirtqueues]virtq
	nvqs int
	// threadsRunning is set once the first thread runs; before, requests
	// are polled.
	threadsRunning bool
)

// key is what threads waiting on q block on (waitOn/wakeKey).
func (q *virtq) key() uintptr { return uintptrOf(q) }

func (q *virtq) descAt(i uint16) *virtio.Desc {
	return (*virtio.Desc)(ptr(q.desc + uintptr(i)*virtio.DescSize))
}

// vqAlloc sets up an empty queue of size entries for device d, queue qidx.
// It returns nil when memory or queue slots are exhausted.
func vqAlloc(d int32, qidx, size uint16) *virtq {
	if nvqs == maxVirtqueues || size == 0 || size > vqMaxSize || size&(size-1) != 0 {
		return nil
	}
	desc, avail, used := physAlloc(), physAlloc(), physAlloc()
	if desc == 0 || avail == 0 || used == 0 {
		return nil
	}
	q := &vqs[nvqs]
	nvqs++
	*q = virtq{dev: d, qidx: qidx, size: size, desc: desc, avail: avail, used: used, nfree: size}
	for i := uint16(0); i < size; i++ {
		q.descAt(i).Next = i + 1
	}
	return q
}

// descsNeeded is how many ring descriptors a chain of n segments takes.
func (q *virtq) descsNeeded(n int) int {
	if q.indirect && n > vqIndirectMin && n <= vqIndirectMax {
		return 1
	}
	return n
}

// fits reports whether a chain of n segments can ever be queued on q.
func (q *virtq) fits(n int) bool {
	return n > 0 && q.descsNeeded(n) <= int(q.size)
}

// add queues the chain segs and returns its head; the caller must have
// checked fits. It waits (uninterruptibly) for free descriptors. The device
// sees the chain only after kick.
func (q *virtq) add(segs []vseg) uint16 {
	need := q.descsNeeded(len(segs))
	for int(q.nfree) < need {
		q.reap()
		if int(q.nfree) >= need {
			break
		}
		q.waiters++
		q.sleep()
		q.waiters--
	}
	head := q.freeHead
	if need == 1 && len(segs) > 1 {
		tbl := q.indir[head]
		if tbl == 0 {
			tbl = physAlloc()
			if tbl == 0 {
				kpanic("virtio: out of memory for an indirect table")
			}
			q.indir[head] = tbl
		}
		for i, s := range segs {
			d := (*virtio.Desc)(ptr(tbl + uintptr(i)*virtio.DescSize))
			d.Addr, d.Len, d.Flags, d.Next = uint64(s.addr), s.len, segFlags(s), uint16(i+1)
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
			d.Addr, d.Len, d.Flags = uint64(s.addr), s.len, segFlags(s)
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

func segFlags(s vseg) uint16 {
	if s.devWrites {
		return virtio.DescWrite
	}
	return 0
}

// kick tells the device that new chains are available.
// kickIfNeeded notifies the device unless it has said (used ring flag
// NO_NOTIFY) that it is already processing the queue: under QEMU a
// notification is a VM exit. The locked add orders the avail-index store
// before the flag load.
func (q *virtq) kickIfNeeded() {
	atomic.AddUint32(&q.fence, 0)
	if atomic.LoadUint32((*uint32)(ptr(q.used)))&virtio.UsedNoNotify != 0 {
		return
	}
	q.kick()
}

func (q *virtq) kick() {
	mmioWrite(vdevs[q.dev].base, virtio.MMIOQueueNotify, uint32(q.qidx))
}

// usedIdx reads the device's used index.
func (q *virtq) usedIdx() uint16 {
	return uint16(atomic.LoadUint32((*uint32)(ptr(q.used))) >> 16)
}

// reap records every chain the device has finished since the last call. It
// reports whether it found any.
func (q *virtq) reap() bool {
	found := false
	for idx := q.usedIdx(); q.lastUsed != idx; q.lastUsed++ {
		e := (*virtio.UsedElem)(ptr(q.used + virtio.RingStart + uintptr(q.lastUsed&(q.size-1))*8))
		if e.ID < uint32(q.size) {
			q.done[e.ID] = true
			q.usedLen[e.ID] = e.Len
			found = true
		}
	}
	return found
}

// wait blocks until the chain at head is finished, frees it and returns how
// many bytes the device wrote. The wait cannot be interrupted by signals:
// the device owns the buffers until it is done.
func (q *virtq) wait(head uint16) uint32 {
	if !threadsRunning {
		return q.poll(head) // at boot, before any thread can block
	}
	for !q.done[head] {
		if q.reap() && q.done[head] {
			break
		}
		q.sleep()
	}
	n := q.usedLen[head]
	q.free(head)
	return n
}

// poll is wait for callers that must not block (the console): it spins on
// the used ring.
func (q *virtq) poll(head uint16) uint32 {
	for !q.done[head] {
		if !q.reap() {
			arch.Pause()
		}
	}
	n := q.usedLen[head]
	q.free(head)
	return n
}

// free returns the chain at head to the free list.
func (q *virtq) free(head uint16) {
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
		wakeKey(q.key())
	}
}

// sleep waits for q's device to interrupt (or, in polling mode, lets other
// threads run once), with signals held off.
func (q *virtq) sleep() {
	if vdevs[q.dev].polling {
		yield()
		if q.usedIdx() == q.lastUsed {
			arch.Pause()
		}
		return
	}
	t := curThread()
	mask := t.sigmask
	t.sigmask = ^uint64(0)
	waitOn(q.key(), 0)
	t.sigmask = mask
}
