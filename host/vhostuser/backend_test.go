package vhostuser_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/vhostuser"
	"github.com/gotoro/gotoro/host/vhostuser/vhostusertest"
)

// upper is a one-queue test device: every chain has a readable buffer and
// a writable one, and the device writes the upper-cased input back.
type upper struct {
	stop    chan struct{}
	done    chan struct{}
	started chan struct{}
	err     error
}

func newUpper() *upper { return &upper{started: make(chan struct{}, 4)} }

func (u *upper) Features() uint64 { return 1 << 5 }
func (u *upper) Config() []byte   { return []byte{1, 2, 3, 4} }
func (u *upper) NumQueues() int   { return 1 }

func (u *upper) Start(qs []*vhostuser.Queue) {
	u.stop, u.done = make(chan struct{}), make(chan struct{})
	go u.serve(qs[0])
	u.started <- struct{}{}
}

func (u *upper) serve(q *vhostuser.Queue) {
	defer close(u.done)
	for {
		for {
			c, ok, err := q.Pop()
			if err != nil {
				u.err = err
				return
			}
			if !ok {
				break
			}
			in := bytes.ToUpper(bytes.Join(c.Readable, nil))
			n := copy(c.Writable[0], in)
			q.Push(c.Head, uint32(n))
		}
		q.Notify()
		select {
		case <-q.Kicked():
		case <-u.stop:
			return
		}
	}
}

func (u *upper) Stop() {
	close(u.stop)
	<-u.done
}

// openFDs counts this process's descriptors, after making sure the
// netpoller's own descriptors exist.
func openFDs(t *testing.T) int {
	t.Helper()
	if r, w, err := os.Pipe(); err == nil {
		r.SetDeadline(time.Now())
		r.Close()
		w.Close()
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// serve starts a backend for dev on a fresh socket and returns its path
// and the channel that receives Serve's result.
func serve(t *testing.T, dev vhostuser.Device) (string, <-chan error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vu.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		c, err := l.AcceptUnix()
		l.Close()
		if err != nil {
			errc <- err
			return
		}
		err = vhostuser.Serve(c, dev)
		c.Close()
		errc <- err
	}()
	return path, errc
}

func TestRoundTrips(t *testing.T) {
	before := openFDs(t)
	dev := newUpper()
	path, errc := serve(t, dev)
	f, err := vhostusertest.Dial(path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Handshake(1<<5|1<<32, 4); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Config, []byte{1, 2, 3, 4}) {
		t.Errorf("config %v, want [1 2 3 4]", f.Config)
	}
	if f.Features&(1<<5) == 0 || f.Features&(1<<32) == 0 {
		t.Errorf("features %#x lack the device bit or VERSION_1", f.Features)
	}
	r, err := f.SetupRing(0, 8)
	if err != nil {
		t.Fatal(err)
	}
	<-dev.started
	in, out := f.Alloc(64, 8), f.Alloc(64, 8)
	const rounds = 1000 // more than the ring size: indexes wrap
	for i := 0; i < rounds; i++ {
		msg := []byte("hello " + strings.Repeat("x", i%50))
		copy(f.Bytes(in, len(msg)), msg)
		head, ok := r.Add(vhostusertest.Buf{Addr: in, Len: uint32(len(msg))}, vhostusertest.Buf{Addr: out, Len: 64, Write: true})
		if !ok {
			t.Fatal("ring full")
		}
		r.Kick()
		var got uint16
		var n uint32
		for {
			if got, n, ok = r.Used(); ok {
				break
			}
			if err := r.WaitCall(); err != nil {
				t.Fatal(err)
			}
		}
		if got != head || !bytes.Equal(f.Bytes(out, int(n)), bytes.ToUpper(msg)) {
			t.Fatalf("round %d: head %d (want %d), data %q", i, got, head, f.Bytes(out, int(n)))
		}
	}
	base, err := f.Stop(0)
	if err != nil {
		t.Fatal(err)
	}
	if base != rounds%65536 {
		t.Errorf("GET_VRING_BASE = %d, want %d", base, rounds)
	}
	r.Close()
	f.Close()
	if err := <-errc; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if dev.err != nil {
		t.Errorf("device: %v", dev.err)
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open after the session, %d before", after, before)
	}
}

func TestDisconnectStopsDevice(t *testing.T) {
	dev := newUpper()
	path, errc := serve(t, dev)
	f, err := vhostusertest.Dial(path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Handshake(1<<32, 4); err != nil {
		t.Fatal(err)
	}
	r, err := f.SetupRing(0, 4)
	if err != nil {
		t.Fatal(err)
	}
	<-dev.started
	f.Close() // the frontend dies without stopping the queue
	if err := <-errc; err != nil {
		t.Errorf("Serve: %v", err)
	}
	select {
	case <-dev.done:
	default:
		t.Error("device still running after the frontend disconnected")
	}
	r.Close()
}

func TestBadRequests(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(f *vhostusertest.Frontend) error
	}{
		{"queue out of range", func(f *vhostusertest.Frontend) error { _, err := f.SetupRing(5, 4); return err }},
		{"size not a power of two", func(f *vhostusertest.Frontend) error { _, err := f.SetupRing(0, 3); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, errc := serve(t, newUpper())
			f, err := vhostusertest.Dial(path, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Handshake(1<<32, 4); err != nil {
				t.Fatal(err)
			}
			if err := tc.run(f); err == nil {
				t.Error("backend accepted it")
			}
			f.Close()
			if err := <-errc; err == nil {
				t.Error("Serve returned no error")
			}
		})
	}
}
