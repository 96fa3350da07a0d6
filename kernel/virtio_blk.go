package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// The virtio-blk driver: read, write and flush requests on one request
// queue. Data moves straight between the device and the caller's pages;
// only the request header and status byte live in a driver page, in one of
// blkSlots slots.

const (
	maxBlk     = 4
	blkSlots   = 128 // in-flight requests per device (header 16 B + status)
	blkSlotLen = 32
	// blkMaxPages bounds one request's data (256 KiB), well under the
	// device's segment limit.
	blkMaxPages = 64
)

type blkDev struct {
	dev      *vio.Device
	q        *vio.Queue
	sectors  uint64 // capacity in 512-byte sectors
	readOnly bool
	flush    bool // the device has a volatile cache to flush
	slots    uintptr
	slotBusy [blkSlots]bool
	waiters  int32
	bounce   uintptr // one page for unaligned I/O
	bounceOn bool
}

var (
	blks  [maxBlk]blkDev
	nblks int
)

// blkAttach initializes block device d as the next /dev/vdX.
func blkAttach(d *vio.Device) bool {
	if nblks == maxBlk {
		return false
	}
	if !d.Begin(1<<virtio.BlkFRO | 1<<virtio.BlkFFlush) {
		return false
	}
	q := d.SetupQueue(0)
	slots, bounce := mm.Alloc(), mm.Alloc()
	if q == nil || slots == 0 || bounce == 0 {
		return false
	}
	b := &blks[nblks]
	*b = blkDev{dev: d, q: q, slots: slots, bounce: bounce,
		sectors:  d.Config64(virtio.BlkCfgCapacity),
		readOnly: d.Has(virtio.BlkFRO),
		flush:    d.Has(virtio.BlkFFlush),
	}
	nblks++
	d.Finish()
	return true
}

func (b *blkDev) size() int64 { return int64(b.sectors) * virtio.BlkSectorSize }

// slot claims a header/status slot, waiting if all are in flight.
func (b *blkDev) slot() int {
	for {
		for i := range b.slotBusy {
			if !b.slotBusy[i] {
				b.slotBusy[i] = true
				return i
			}
		}
		b.waiters++
		b.q.Sleep()
		b.waiters--
	}
}

func (b *blkDev) releaseSlot(i int) {
	b.slotBusy[i] = false
	if b.waiters > 0 {
		wakeKey(b.q.Key())
	}
}

// request sends one request of type typ at sector with the data segments
// data (at most blkMaxPages+1) and waits for it. It returns 0 or -EIO.
func (b *blkDev) request(typ uint32, sector uint64, data []vio.Seg) int64 {
	s := b.slot()
	hdr := b.slots + uintptr(s)*blkSlotLen
	*(*uint32)(ptr(hdr)) = typ
	*(*uint32)(ptr(hdr + 4)) = 0
	*(*uint64)(ptr(hdr + 8)) = sector
	status := hdr + virtio.BlkReqHeaderSize
	atomic.StoreUint32((*uint32)(ptr(status)), 0xff)
	var segs [blkMaxPages + 3]vio.Seg
	segs[0] = vio.Seg{Addr: hdr, Len: virtio.BlkReqHeaderSize}
	n := 1 + copy(segs[1:len(segs)-1], data)
	segs[n] = vio.Seg{Addr: status, Len: 1, DevWrites: true}
	n++
	head := b.q.Add(segs[:n])
	b.q.Kick()
	b.q.Wait(head)
	st := *(*uint8)(ptr(status))
	b.releaseSlot(s)
	if st != virtio.BlkSOK {
		return -EIO
	}
	return 0
}

// rw moves n bytes between the device at byte offset off and memory at va
// (user or kernel), both multiples of the sector size apart from va.
func (b *blkDev) rw(write bool, off int64, va, n uintptr) int64 {
	for n > 0 {
		chunk := n
		if chunk > blkMaxPages*pageSize-pageSize {
			chunk = blkMaxPages*pageSize - pageSize
		}
		var segs [blkMaxPages]vio.Seg
		k := dmaSegs(segs[:], va, chunk, !write)
		if k < 0 {
			return -EFAULT
		}
		typ := uint32(virtio.BlkTIn)
		if write {
			typ = virtio.BlkTOut
		}
		e := b.request(typ, uint64(off)/virtio.BlkSectorSize, segs[:k])
		dmaUnpin(segs[:k])
		if e != 0 {
			return e
		}
		off += int64(chunk)
		va += chunk
		n -= chunk
	}
	return 0
}

// blkIO reads (write false) or writes len(p) bytes at off, clipped to the
// device's end, and returns the count or -errno. Whole sectors move
// directly between the device and p; a partial sector at either end goes
// through the bounce page (read, modify, write for writes).
func blkIO(b *blkDev, p []byte, off int64, write bool) int64 {
	if off < 0 {
		return -EINVAL
	}
	size := b.size()
	if off >= size || len(p) == 0 {
		if write && len(p) > 0 {
			return -ENOSPC
		}
		return 0
	}
	if int64(len(p)) > size-off {
		p = p[:size-off]
	}
	va := uintptr(ptrTo(&p[0]))
	done := int64(0)
	total := int64(len(p))
	for done < total {
		pos := off + done
		inSector := pos % virtio.BlkSectorSize
		left := total - done
		if inSector == 0 && left >= virtio.BlkSectorSize {
			n := left &^ (virtio.BlkSectorSize - 1)
			if e := b.rw(write, pos, va+uintptr(done), uintptr(n)); e != 0 {
				return partial(done, e)
			}
			done += n
			continue
		}
		// A partial sector.
		n := min(int64(virtio.BlkSectorSize)-inSector, left)
		for b.bounceOn {
			b.waiters++
			b.q.Sleep()
			b.waiters--
		}
		b.bounceOn = true
		sec := pos - inSector
		e := b.rw(false, sec, b.bounce, virtio.BlkSectorSize)
		if e == 0 {
			buf := unsafeSlice(b.bounce+uintptr(inSector), uintptr(n))
			if write {
				copy(buf, p[done:done+n])
				e = b.rw(true, sec, b.bounce, virtio.BlkSectorSize)
			} else {
				copy(p[done:done+n], buf)
			}
		}
		b.bounceOn = false
		if b.waiters > 0 {
			wakeKey(b.q.Key())
		}
		if e != 0 {
			return partial(done, e)
		}
		done += n
	}
	return done
}

// partial returns done if some bytes moved, else the error.
func partial(done, e int64) int64 {
	if done > 0 {
		return done
	}
	return e
}

// blkFlush makes completed writes durable.
func blkFlush(b *blkDev) int64 {
	if !b.flush {
		return 0
	}
	return b.request(virtio.BlkTFlush, 0, nil)
}
