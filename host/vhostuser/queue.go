package vhostuser

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/virtio"
)

// Queue is the device side of one split virtqueue in guest memory. It is
// used by one goroutine of the device at a time.
type Queue struct {
	index     int
	num       uint16
	desc      []byte
	avail     []byte
	used      []byte
	mem       *Memory
	lastAvail uint16
	usedIdx   uint16
	call      *os.File // nil: no interrupts
	kicked    chan struct{}
}

// Chain is one descriptor chain the driver made available: the buffers
// the device reads, then the buffers it writes.
type Chain struct {
	Head     uint16
	Readable [][]byte
	Writable [][]byte
}

// ReadableLen returns the total size of c's readable buffers.
func (c *Chain) ReadableLen() int {
	n := 0
	for _, b := range c.Readable {
		n += len(b)
	}
	return n
}

// WritableLen returns the total size of c's writable buffers.
func (c *Chain) WritableLen() int {
	n := 0
	for _, b := range c.Writable {
		n += len(b)
	}
	return n
}

// ErrBadChain reports a descriptor chain that breaks the virtio rules.
var ErrBadChain = errors.New("malformed descriptor chain")

// Index returns the queue's number within its device.
func (q *Queue) Index() int { return q.index }

// Kicked returns a channel that receives when the driver notifies the
// queue of new buffers. Check for buffers with Pop before waiting on it.
func (q *Queue) Kicked() <-chan struct{} { return q.kicked }

// load16 reads the little-endian uint16 at b[off] (off even) with a 32-bit
// atomic load of the aligned word around it, so that the read is ordered
// before the reads that depend on it.
func load16(b []byte, off int) uint16 {
	p := unsafe.Pointer(&b[off])
	mis := uintptr(p) & 3
	w := atomic.LoadUint32((*uint32)(unsafe.Add(p, -int(mis))))
	return uint16(w >> (mis * 8))
}

// Pop returns the next available chain, if any.
func (q *Queue) Pop() (Chain, bool, error) {
	availIdx := load16(q.avail, virtio.RingIdx)
	if availIdx == q.lastAvail {
		return Chain{}, false, nil
	}
	if availIdx-q.lastAvail > q.num {
		return Chain{}, false, fmt.Errorf("queue %d: available index %d is %d ahead of %d entries", q.index, availIdx, availIdx-q.lastAvail, q.num)
	}
	slot := int(q.lastAvail % q.num)
	head := binary.LittleEndian.Uint16(q.avail[virtio.RingStart+2*slot:])
	q.lastAvail++
	c := Chain{Head: head}
	i := head
	for n := 0; ; n++ {
		if i >= q.num || n >= int(q.num) {
			return c, false, fmt.Errorf("queue %d: %w (descriptor %d)", q.index, ErrBadChain, i)
		}
		d := q.desc[virtio.DescSize*int(i):]
		addr := binary.LittleEndian.Uint64(d[0:])
		length := binary.LittleEndian.Uint32(d[8:])
		flags := binary.LittleEndian.Uint16(d[12:])
		next := binary.LittleEndian.Uint16(d[14:])
		if flags&virtio.DescIndirect != 0 {
			return c, false, fmt.Errorf("queue %d: %w: indirect descriptor not negotiated", q.index, ErrBadChain)
		}
		buf, err := q.mem.Slice(addr, length)
		if err != nil {
			return c, false, fmt.Errorf("queue %d: %w", q.index, err)
		}
		if flags&virtio.DescWrite != 0 {
			c.Writable = append(c.Writable, buf)
		} else {
			if len(c.Writable) > 0 {
				return c, false, fmt.Errorf("queue %d: %w: readable after writable", q.index, ErrBadChain)
			}
			c.Readable = append(c.Readable, buf)
		}
		if flags&virtio.DescNext == 0 {
			return c, true, nil
		}
		i = next
	}
}

// Push returns chain head to the driver with written bytes of it filled.
// Call Notify once a batch is pushed.
func (q *Queue) Push(head uint16, written uint32) {
	slot := int(q.usedIdx % q.num)
	e := q.used[virtio.RingStart+8*slot:]
	binary.LittleEndian.PutUint32(e[0:], uint32(head))
	binary.LittleEndian.PutUint32(e[4:], written)
	q.usedIdx++
	// The used ring is 4-aligned, so flags and idx form one word; the
	// atomic store orders the entry before the index.
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&q.used[0])), uint32(q.usedIdx)<<16)
}

// Notify interrupts the driver unless it asked not to be.
func (q *Queue) Notify() {
	if q.call == nil || load16(q.avail, virtio.RingFlags)&virtio.AvailNoInterrupt != 0 {
		return
	}
	var one [8]byte
	one[0] = 1
	q.call.Write(one[:])
}

// eventFile wraps an eventfd so that reads block in the Go netpoller.
func eventFile(fd int, name string) *os.File {
	syscall.SetNonblock(fd, true)
	return os.NewFile(uintptr(fd), name)
}
