package vhostuser

import (
	"encoding/binary"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/virtio"
)

// fuzzDevice is a device for the message fuzzer: one queue, a small
// config space, nothing started.
type fuzzDevice struct{}

func (fuzzDevice) Features() uint64  { return 1 << virtio.FeatureVersion1 }
func (fuzzDevice) Config() []byte    { return []byte{1, 2, 3, 4, 5, 6, 7, 8} }
func (fuzzDevice) NumQueues() int    { return 2 }
func (fuzzDevice) Start(qs []*Queue) {}
func (fuzzDevice) Stop()             {}

// encodeMsg encodes one vhost-user message for the seed corpus.
func encodeMsg(req uint32, body ...byte) []byte {
	b := make([]byte, headerSize)
	header{Request: req, Flags: 1, Size: uint32(len(body))}.encode(b)
	return append(b, body...)
}

// FuzzServe feeds arbitrary bytes to the message parser and handler, as
// a frontend that breaks the protocol would: Serve must return (an error
// or nil), never panic, hang or allocate without bound.
func FuzzServe(f *testing.F) {
	le32 := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
		return b
	}
	le64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	f.Add(encodeMsg(reqGetFeatures))
	f.Add(append(encodeMsg(reqSetOwner), encodeMsg(reqGetProtocolFeatures)...))
	f.Add(encodeMsg(reqGetConfig, le32(0, 8, 0)...))
	f.Add(encodeMsg(reqGetConfig, le32(0, 1<<30, 0)...))
	f.Add(encodeMsg(reqSetVringNum, le32(0, 256)...))
	f.Add(encodeMsg(reqSetVringBase, le32(1, 7)...))
	f.Add(encodeMsg(reqSetFeatures, le64(1<<32)...))
	f.Add(encodeMsg(reqGetVringBase, le32(0, 0)...))
	f.Add(encodeMsg(reqSetMemTable, le32(1, 0)...))
	f.Add([]byte{1, 0, 0, 0, 1, 0, 0, 0, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 64<<10 {
			return
		}
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Skip(err)
		}
		conn := func(fd int) *net.UnixConn {
			f := fileFD(fd)
			defer f.Close()
			c, err := net.FileConn(f)
			if err != nil {
				t.Fatal(err)
			}
			return c.(*net.UnixConn)
		}
		front, back := conn(fds[0]), conn(fds[1])
		defer front.Close()
		go func() {
			front.Write(in)
			front.CloseWrite()
		}()
		done := make(chan error, 1)
		go func() { done <- Serve(back, fuzzDevice{}) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after the frontend's input ended")
		}
		back.Close()
	})
}

// FuzzPop walks rings whose descriptor table and available ring are
// arbitrary bytes: Pop must report bad chains as errors and every buffer
// it returns must lie in guest memory.
func FuzzPop(f *testing.F) {
	desc := make([]byte, 4*virtio.DescSize)
	binary.LittleEndian.PutUint64(desc[0:], 0x8000)
	binary.LittleEndian.PutUint32(desc[8:], 64)
	binary.LittleEndian.PutUint16(desc[12:], virtio.DescNext)
	binary.LittleEndian.PutUint16(desc[14:], 1)
	binary.LittleEndian.PutUint64(desc[16:], 0x9000)
	binary.LittleEndian.PutUint32(desc[24:], 128)
	binary.LittleEndian.PutUint16(desc[28:], virtio.DescWrite)
	avail := []byte{0, 0, 1, 0, 0, 0}
	f.Add(uint8(2), desc, avail)
	loop := append([]byte(nil), desc...)
	binary.LittleEndian.PutUint16(loop[28:], virtio.DescWrite|virtio.DescNext) // 1 -> 0 -> 1 ...
	f.Add(uint8(2), loop, avail)
	f.Add(uint8(8), []byte{}, []byte{0, 0, 255, 255})
	const memSize = 1 << 16
	const descAt, availAt, usedAt = 0, 0x1000, 0x2000
	f.Fuzz(func(t *testing.T, order uint8, descs, av []byte) {
		mem := make([]byte, memSize)
		n := uint16(1) << (order % 9) // 1 to 256 entries
		copy(mem[descAt:descAt+virtio.DescSize*int(n)], descs)
		copy(mem[availAt:availAt+virtio.RingStart+2*int(n)], av)
		m := &Memory{regions: []mapped{{Region: Region{Size: memSize}, whole: mem, mem: mem}}}
		q := &Queue{
			num:   n,
			desc:  mem[descAt : descAt+virtio.DescSize*int(n)],
			avail: mem[availAt : availAt+virtio.RingStart+2*int(n)+2],
			used:  mem[usedAt : usedAt+virtio.RingStart+8*int(n)+2],
			mem:   m,
		}
		for i := 0; i < 2*int(n)+2; i++ {
			c, ok, err := q.Pop()
			if err != nil || !ok {
				return
			}
			if len(c.Readable)+len(c.Writable) > int(n) {
				t.Fatalf("a chain of %d buffers in a ring of %d", len(c.Readable)+len(c.Writable), n)
			}
			for _, b := range append(c.Readable, c.Writable...) {
				if len(b) > 0 && !inside(mem, b) {
					t.Fatal("a buffer outside guest memory")
				}
			}
			q.Push(c.Head, uint32(c.WritableLen()))
		}
	})
}

// inside reports whether b lies within mem.
func inside(mem, b []byte) bool {
	start := &mem[0]
	end := &mem[len(mem)-1]
	return uintptrOf(&b[0]) >= uintptrOf(start) && uintptrOf(&b[len(b)-1]) <= uintptrOf(end)
}

// TestHugeConfigRead: a GET_CONFIG whose size field asks for more than a
// config space holds (in a message of a few bytes) is refused, not
// answered with a buffer of the size asked.
func TestHugeConfigRead(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := fileFD(fd)
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	front, back := conn(fds[0]), conn(fds[1])
	defer front.Close()
	defer back.Close()
	body := binary.LittleEndian.AppendUint32(nil, 0)
	body = binary.LittleEndian.AppendUint32(body, 1<<30)
	body = binary.LittleEndian.AppendUint32(body, 0)
	front.Write(encodeMsg(reqGetConfig, body...))
	front.CloseWrite()
	done := make(chan error, 1)
	go func() { done <- Serve(back, fuzzDevice{}) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "GET_CONFIG") {
			t.Errorf("Serve returned %v, want a GET_CONFIG error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve is still answering a 1 GiB config read")
	}
}
