//go:build linux && amd64

// Package vhostusertest plays QEMU and the guest driver against a
// vhost-user backend in the same process: it shares a memfd as guest
// memory, sets up split virtqueues in it and drives them through kick and
// call eventfds, so device backends can be tested without a VM.
package vhostusertest

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"syscall"
	"unsafe"
)

// Protocol constants, restated from the vhost-user specification so that
// the test frontend checks the backend instead of sharing its mistakes.
const (
	getFeatures         = 1
	setFeatures         = 2
	setOwner            = 3
	setMemTable         = 5
	setVringNum         = 8
	setVringAddr        = 9
	setVringBase        = 10
	getVringBase        = 11
	setVringKick        = 12
	setVringCall        = 13
	getProtocolFeatures = 15
	setProtocolFeatures = 16
	setVringEnable      = 18
	getConfig           = 24

	flagVersion   = 1
	flagReply     = 4
	flagNeedReply = 8

	protoReplyAck = 3
	protoConfig   = 9
)

// GuestBase is the guest-physical address of the fake guest's memory, and
// UserBase the address the fake frontend claims to map it at; both differ
// from zero and from each other so that address translation is tested.
const (
	GuestBase = 0x4000_0000
	UserBase  = 0x7f12_3400_0000
)

// Frontend is a vhost-user frontend with its guest memory.
type Frontend struct {
	conn     *net.UnixConn
	memfd    int
	Mem      []byte // guest memory, at GuestBase
	next     uint64 // bump allocator offset
	mu       sync.Mutex
	Features uint64 // offered by the backend
	Config   []byte // read with GET_CONFIG
}

// Dial connects to the backend at path and shares size bytes of memory.
func Dial(path string, size int) (*Frontend, error) {
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	name, _ := syscall.BytePtrFromString("gotoro-test-guest")
	fd, _, e := syscall.Syscall(sysMemfdCreate, uintptr(unsafe.Pointer(name)), 0, 0)
	if e != 0 {
		c.Close()
		return nil, fmt.Errorf("memfd_create: %w", e)
	}
	if err := syscall.Ftruncate(int(fd), int64(size)); err != nil {
		syscall.Close(int(fd))
		c.Close()
		return nil, err
	}
	mem, err := syscall.Mmap(int(fd), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		syscall.Close(int(fd))
		c.Close()
		return nil, err
	}
	return &Frontend{conn: c, memfd: int(fd), Mem: mem, next: 4096}, nil
}

// Close disconnects and frees the memory.
func (f *Frontend) Close() {
	f.conn.Close()
	syscall.Munmap(f.Mem)
	syscall.Close(f.memfd)
}

// Disconnect closes the connection to the backend but keeps guest memory
// mapped, for goroutines that still read the rings; Close releases it.
func (f *Frontend) Disconnect() { f.conn.Close() }

// Alloc returns the guest-physical address of n fresh bytes aligned to
// align.
func (f *Frontend) Alloc(n, align int) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = (f.next + uint64(align) - 1) &^ (uint64(align) - 1)
	a := f.next
	f.next += uint64(n)
	if f.next > uint64(len(f.Mem)) {
		panic("vhostusertest: out of guest memory")
	}
	return GuestBase + a
}

// Bytes returns guest memory at guest-physical address gpa.
func (f *Frontend) Bytes(gpa uint64, n int) []byte {
	o := gpa - GuestBase
	return f.Mem[o : o+uint64(n)]
}

// call sends a request and, when reply is set, returns the reply body.
func (f *Frontend) call(req uint32, body []byte, reply bool, fds ...int) ([]byte, error) {
	b := make([]byte, 12+len(body))
	flags := uint32(flagVersion)
	if !reply {
		flags |= flagNeedReply
	}
	binary.LittleEndian.PutUint32(b[0:], req)
	binary.LittleEndian.PutUint32(b[4:], flags)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(body)))
	copy(b[12:], body)
	var oob []byte
	if len(fds) > 0 {
		oob = syscall.UnixRights(fds...)
	}
	if _, _, err := f.conn.WriteMsgUnix(b, oob, nil); err != nil {
		return nil, err
	}
	var h [12]byte
	if _, err := readFull(f.conn, h[:]); err != nil {
		return nil, fmt.Errorf("request %d: reading reply: %w", req, err)
	}
	if got := binary.LittleEndian.Uint32(h[0:]); got != req {
		return nil, fmt.Errorf("request %d: reply is for request %d", req, got)
	}
	if binary.LittleEndian.Uint32(h[4:])&flagReply == 0 {
		return nil, fmt.Errorf("request %d: reply lacks the reply flag", req)
	}
	out := make([]byte, binary.LittleEndian.Uint32(h[8:]))
	if _, err := readFull(f.conn, out); err != nil {
		return nil, err
	}
	if !reply {
		if len(out) != 8 || binary.LittleEndian.Uint64(out) != 0 {
			return nil, fmt.Errorf("request %d: backend refused it (ack % x)", req, out)
		}
	}
	return out, nil
}

func readFull(c *net.UnixConn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func le64(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

func le32(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// Handshake negotiates features (driverFeatures of those offered, plus the
// protocol bit), reads configSize bytes of configuration and shares the
// memory, as QEMU does before the guest starts.
func (f *Frontend) Handshake(driverFeatures uint64, configSize int) error {
	r, err := f.call(getFeatures, nil, true)
	if err != nil {
		return err
	}
	f.Features = binary.LittleEndian.Uint64(r)
	const protocolBit = 1 << 30
	if f.Features&protocolBit == 0 {
		return fmt.Errorf("backend lacks the protocol-features bit")
	}
	// The first messages go before REPLY_ACK is negotiated: no acks.
	if err := f.send(setFeatures, le64(driverFeatures&f.Features|protocolBit)); err != nil {
		return err
	}
	r, err = f.call(getProtocolFeatures, nil, true)
	if err != nil {
		return err
	}
	pf := binary.LittleEndian.Uint64(r)
	if pf&(1<<protoConfig) == 0 || pf&(1<<protoReplyAck) == 0 {
		return fmt.Errorf("backend protocol features %#x lack CONFIG or REPLY_ACK", pf)
	}
	if err := f.send(setProtocolFeatures, le64(1<<protoConfig|1<<protoReplyAck)); err != nil {
		return err
	}
	if _, err := f.call(setOwner, nil, false); err != nil {
		return err
	}
	r, err = f.call(getConfig, append(le32(0, uint32(configSize), 0), make([]byte, configSize)...), true)
	if err != nil {
		return err
	}
	if len(r) != 12+configSize {
		return fmt.Errorf("GET_CONFIG reply has %d bytes, want %d", len(r), 12+configSize)
	}
	f.Config = r[12:]
	table := append(le32(1, 0), le64(GuestBase, uint64(len(f.Mem)), UserBase, 0)...)
	_, err = f.call(setMemTable, table, false, f.memfd)
	return err
}

// send sends a request that has no reply, without asking for an ack.
func (f *Frontend) send(req uint32, body []byte, fds ...int) error {
	b := make([]byte, 12+len(body))
	binary.LittleEndian.PutUint32(b[0:], req)
	binary.LittleEndian.PutUint32(b[4:], flagVersion)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(body)))
	copy(b[12:], body)
	var oob []byte
	if len(fds) > 0 {
		oob = syscall.UnixRights(fds...)
	}
	_, _, err := f.conn.WriteMsgUnix(b, oob, nil)
	return err
}

// sysMemfdCreate is memfd_create's number on amd64 (the syscall package
// predates it).
const sysMemfdCreate = 319
