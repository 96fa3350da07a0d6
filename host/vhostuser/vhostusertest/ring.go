//go:build linux && amd64

package vhostusertest

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/virtio"
)

// Ring is the driver side of one split virtqueue in a Frontend's memory.
// It is used by one goroutine at a time.
type Ring struct {
	f                 *Frontend
	num               uint16
	desc, avail, used uint64 // guest-physical addresses
	free              []uint16
	availIdx          uint16
	lastUsed          uint16
	kick, call        *os.File
	chainLen          map[uint16]int
}

// Buf is one buffer of a chain: guest-physical address, length, and
// whether the device writes it.
type Buf struct {
	Addr  uint64
	Len   uint32
	Write bool
}

func eventfd() (*os.File, int, error) {
	fd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC, 0)
	if e != 0 {
		return nil, -1, fmt.Errorf("eventfd2: %w", e)
	}
	// Non-blocking, so reads wait in the netpoller and Close ends them.
	syscall.SetNonblock(int(fd), true)
	return os.NewFile(fd, "eventfd"), int(fd), nil
}

// SetupRing lays out queue idx with num entries and hands it to the
// backend (num, base, addresses, call, kick, enable).
func (f *Frontend) SetupRing(idx uint32, num uint16) (*Ring, error) {
	r := &Ring{f: f, num: num, chainLen: map[uint16]int{}}
	// Place the avail ring 2 bytes past a 4-byte boundary, as a driver
	// may, to exercise the backend's index loads.
	r.desc = f.Alloc(virtio.DescTableSize(int(num)), virtio.DescAlign)
	r.avail = f.Alloc(virtio.AvailRingSize(int(num))+2, 4) + 2
	r.used = f.Alloc(virtio.UsedRingSize(int(num)), virtio.UsedAlign)
	for i := uint16(0); i < num; i++ {
		r.free = append(r.free, i)
	}
	var kfd, cfd int
	var err error
	if r.kick, kfd, err = eventfd(); err != nil {
		return nil, err
	}
	if r.call, cfd, err = eventfd(); err != nil {
		return nil, err
	}
	toUser := func(gpa uint64) uint64 { return gpa - GuestBase + UserBase }
	steps := []struct {
		req  uint32
		body []byte
		fd   int
	}{
		{setVringNum, le32(idx, uint32(num)), -1},
		{setVringBase, le32(idx, 0), -1},
		{setVringAddr, append(le32(idx, 0), le64(toUser(r.desc), toUser(r.used), toUser(r.avail), 0)...), -1},
		{setVringCall, le64(uint64(idx)), cfd},
		{setVringKick, le64(uint64(idx)), kfd},
		{setVringEnable, le32(idx, 1), -1},
	}
	for _, s := range steps {
		var fds []int
		if s.fd >= 0 {
			fds = []int{s.fd}
		}
		if _, err := f.call(s.req, s.body, false, fds...); err != nil {
			r.Close()
			return nil, fmt.Errorf("queue %d: %w", idx, err)
		}
	}
	return r, nil
}

// Stop asks the backend to stop queue idx (GET_VRING_BASE) and returns
// the index it reports.
func (f *Frontend) Stop(idx uint32) (uint32, error) {
	r, err := f.call(getVringBase, le32(idx, 0), true)
	if err != nil {
		return 0, err
	}
	if len(r) != 8 {
		return 0, fmt.Errorf("GET_VRING_BASE reply has %d bytes", len(r))
	}
	return binary.LittleEndian.Uint32(r[4:]), nil
}

// Free reports how many descriptors are free.
func (r *Ring) Free() int { return len(r.free) }

// Add makes a chain of bufs available and returns its head, or false if
// there are not enough free descriptors. It does not kick.
func (r *Ring) Add(bufs ...Buf) (uint16, bool) {
	if len(bufs) == 0 || len(bufs) > len(r.free) {
		return 0, false
	}
	ids := r.free[len(r.free)-len(bufs):]
	r.free = r.free[:len(r.free)-len(bufs)]
	for i, b := range bufs {
		d := r.f.Bytes(r.desc+uint64(virtio.DescSize)*uint64(ids[i]), virtio.DescSize)
		flags := uint16(0)
		if b.Write {
			flags |= virtio.DescWrite
		}
		next := uint16(0)
		if i+1 < len(bufs) {
			flags |= virtio.DescNext
			next = ids[i+1]
		}
		binary.LittleEndian.PutUint64(d[0:], b.Addr)
		binary.LittleEndian.PutUint32(d[8:], b.Len)
		binary.LittleEndian.PutUint16(d[12:], flags)
		binary.LittleEndian.PutUint16(d[14:], next)
	}
	head := ids[0]
	r.chainLen[head] = len(bufs)
	slot := r.f.Bytes(r.avail+virtio.RingStart+2*uint64(r.availIdx%r.num), 2)
	binary.LittleEndian.PutUint16(slot, head)
	r.availIdx++
	// avail is 2 past a 4-byte boundary: idx and ring[0] share a word.
	w := (*uint32)(unsafe.Pointer(&r.f.Bytes(r.avail+virtio.RingIdx, 4)[0]))
	for {
		old := atomic.LoadUint32(w)
		if atomic.CompareAndSwapUint32(w, old, old&^0xffff|uint32(r.availIdx)) {
			break
		}
	}
	return head, true
}

// Kick notifies the backend.
func (r *Ring) Kick() {
	var one [8]byte
	one[0] = 1
	r.kick.Write(one[:])
}

// Used returns the next chain the device finished and how many bytes it
// wrote, freeing its descriptors; ok is false if there is none.
func (r *Ring) Used() (head uint16, written uint32, ok bool) {
	w := atomic.LoadUint32((*uint32)(unsafe.Pointer(&r.f.Bytes(r.used, 4)[0])))
	if uint16(w>>16) == r.lastUsed {
		return 0, 0, false
	}
	e := r.f.Bytes(r.used+virtio.RingStart+8*uint64(r.lastUsed%r.num), 8)
	r.lastUsed++
	head = uint16(binary.LittleEndian.Uint32(e[0:]))
	written = binary.LittleEndian.Uint32(e[4:])
	n := r.chainLen[head]
	delete(r.chainLen, head)
	id := head
	for i := 0; i < n; i++ {
		r.free = append(r.free, id)
		d := r.f.Bytes(r.desc+uint64(virtio.DescSize)*uint64(id), virtio.DescSize)
		id = binary.LittleEndian.Uint16(d[14:])
	}
	return head, written, true
}

// WaitCall blocks until the backend signals the call eventfd.
func (r *Ring) WaitCall() error {
	var b [8]byte
	_, err := r.call.Read(b[:])
	return err
}

// Close closes the ring's eventfds.
func (r *Ring) Close() {
	r.kick.Close()
	r.call.Close()
}
