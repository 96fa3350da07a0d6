package bus

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gotoro/gotoro"
)

// geometries covers the default rings and tiny ones that force chains,
// streaming and wrap-around.
var geometries = []Options{
	{},
	{Entries: 2, SlotSize: 64},
	{Entries: 4, SlotSize: 128, Spin: 1},
}

var sizes = []int{0, 1, 1020, 1021, 4096, 1 << 20}

// pattern returns n bytes that depend on seed and position.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7 + i>>8)
	}
	return b
}

// onCores runs fns[i] pinned to core i % Cores() and waits for all.
func onCores(fns ...func()) {
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		gotoro.Go(i%gotoro.Cores(), func() {
			defer wg.Done()
			fn()
		})
	}
	wg.Wait()
}

func newBus(t *testing.T, n int, o Options) *Bus {
	t.Helper()
	b, err := New(n, o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSendRecvEverySize(t *testing.T) {
	for _, o := range geometries {
		t.Run(fmt.Sprintf("%dx%d", o.Entries, o.SlotSize), func(t *testing.T) {
			b := newBus(t, 2, o)
			var errs [2]error
			onCores(func() {
				for i, n := range sizes {
					if err := b.Endpoint(0).SendTo(1, pattern(i, n)); err != nil {
						errs[0] = err
						return
					}
				}
			}, func() {
				buf := make([]byte, 1<<20+1)
				for i, n := range sizes {
					got, err := b.Endpoint(1).RecvFrom(0, buf)
					if err != nil {
						errs[1] = err
						return
					}
					if got != n || !bytes.Equal(buf[:got], pattern(i, n)) {
						errs[1] = fmt.Errorf("message %d: got %d bytes, want %d (or content differs)", i, got, n)
						return
					}
				}
			})
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestBothWaysLargeAtOnce(t *testing.T) {
	// Each endpoint sends 1 MiB to the other while receiving: the sending
	// and receiving sides of an endpoint may run on different goroutines.
	b := newBus(t, 2, Options{Entries: 4, SlotSize: 256})
	msg := [2][]byte{pattern(1, 1<<20), pattern(2, 1<<20)}
	var errs [4]error
	send := func(from int) func() {
		return func() { errs[from] = b.Endpoint(from).SendTo(1-from, msg[from]) }
	}
	recv := func(at int) func() {
		return func() {
			buf := make([]byte, 1<<20)
			n, err := b.Endpoint(at).RecvFrom(1-at, buf)
			if err == nil && (n != len(buf) || !bytes.Equal(buf, msg[1-at])) {
				err = fmt.Errorf("endpoint %d received %d bytes, content wrong", at, n)
			}
			errs[2+at] = err
		}
	}
	onCores(send(0), send(1), recv(0), recv(1))
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestStreamingPingPong bounces messages longer than the ring, so that
// each goes as several chains, both ways, many times.
func TestStreamingPingPong(t *testing.T) {
	for _, o := range []Options{{}, {Entries: 4, SlotSize: 128}} {
		b := newBus(t, 2, o)
		size := b.Capacity() + 136
		const rounds = 300
		var errs [2]error
		side := func(me int) func() {
			return func() {
				e, peer := b.Endpoint(me), 1-me
				buf := make([]byte, size)
				for i := 0; i < rounds; i++ {
					if me == 0 {
						e.SendToV(peer, pattern(i, 8), pattern(i+1, size-8))
					}
					n, err := e.RecvFrom(peer, buf)
					if err == nil && (n != size || !bytes.Equal(buf[:8], pattern(i, 8)) || !bytes.Equal(buf[8:], pattern(i+1, size-8))) {
						err = fmt.Errorf("round %d: %d bytes, content wrong", i, n)
					}
					if err != nil {
						errs[me] = err
						return
					}
					if me == 1 {
						e.SendTo(peer, buf)
					}
				}
			}
		}
		onCores(side(0), side(1))
		for _, err := range errs {
			if err != nil {
				t.Fatalf("%+v: %v", o, err)
			}
		}
	}
}

func TestOldestFirst(t *testing.T) {
	for _, o := range geometries {
		b := newBus(t, 2, o)
		const count = 2000
		var bad []int
		onCores(func() {
			buf := make([]byte, 400)
			for i := 0; i < count; i++ {
				n, err := b.Endpoint(0).RecvFrom(1, buf)
				if err != nil || !bytes.Equal(buf[:n], pattern(i, i%300)) {
					bad = append(bad, i)
				}
			}
		}, func() {
			for i := 0; i < count; i++ {
				b.Endpoint(1).SendTo(0, pattern(i, i%300))
			}
		})
		if len(bad) > 0 {
			t.Fatalf("%+v: messages %v arrived out of order or damaged", o, bad[:min(len(bad), 10)])
		}
	}
}

func TestShortBufferKeepsMessage(t *testing.T) {
	for _, size := range []int{5, 1021, 1 << 20} {
		b := newBus(t, 2, Options{Entries: 4, SlotSize: 512})
		msg := pattern(size, size)
		var sendErr, err1, err2 error
		var probed, n int
		var buf []byte
		onCores(func() {
			sendErr = b.Endpoint(0).SendTo(1, msg)
		}, func() {
			e := b.Endpoint(1)
			probed, _, _ = e.Peek(0, nil)
			_, err1 = e.RecvFrom(0, make([]byte, size-1))
			buf = make([]byte, size)
			n, err2 = e.RecvFrom(0, buf)
		})
		var se *ShortBufferError
		if !errors.As(err1, &se) || !errors.Is(err1, ErrShortBuffer) || se.Size != size || se.Have != size-1 {
			t.Errorf("size %d: short receive: err %v, want a ShortBufferError{%d, %d}", size, err1, size, size-1)
		}
		if sendErr != nil || err2 != nil || probed != size || n != size || !bytes.Equal(buf, msg) {
			t.Errorf("size %d: send %v, probe %d, then receive %d bytes, %v", size, sendErr, probed, n, err2)
		}
	}
}

func TestNonBlocking(t *testing.T) {
	b := newBus(t, 2, Options{Entries: 4, SlotSize: 64})
	e0, e1 := b.Endpoint(0), b.Endpoint(1)
	buf := make([]byte, 64)
	if _, ok, err := e1.TryRecvFrom(0, buf); ok || err != nil {
		t.Fatalf("TryRecvFrom on an empty ring: ok %v err %v", ok, err)
	}
	if _, ok, err := e1.Probe(0); ok || err != nil {
		t.Fatalf("Probe on an empty ring: ok %v err %v", ok, err)
	}
	// 4 slots of 64 bytes: four messages of up to 56 bytes fit.
	for i := 0; i < 4; i++ {
		if ok, err := e0.TrySendTo(1, pattern(i, 56)); !ok || err != nil {
			t.Fatalf("TrySendTo #%d into a ring with room: ok %v err %v", i, ok, err)
		}
	}
	if ok, err := e0.TrySendTo(1, nil); ok || err != nil {
		t.Fatalf("TrySendTo into a full ring: ok %v err %v", ok, err)
	}
	if _, err := e0.TrySendTo(1, make([]byte, b.Capacity()+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("TrySendTo beyond capacity: %v, want ErrTooLarge", err)
	}
	if size, ok, err := e1.Probe(0); !ok || err != nil || size != 56 {
		t.Fatalf("Probe: %d %v %v", size, ok, err)
	}
	for i := 0; i < 4; i++ {
		n, ok, err := e1.TryRecvFrom(0, buf)
		if !ok || err != nil || !bytes.Equal(buf[:n], pattern(i, 56)) {
			t.Fatalf("TryRecvFrom #%d: %d %v %v", i, n, ok, err)
		}
	}
	// The returned descriptors are reusable: a capacity-sized message fits.
	if ok, err := e0.TrySendTo(1, make([]byte, b.Capacity())); !ok || err != nil {
		t.Fatalf("TrySendTo of Capacity bytes after draining: ok %v err %v", ok, err)
	}
}

func TestErrors(t *testing.T) {
	b := newBus(t, 3, Options{})
	e := b.Endpoint(1)
	buf := make([]byte, 8)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"send to -1", e.SendTo(-1, nil), ErrRange},
		{"send to 3", e.SendTo(3, nil), ErrRange},
		{"send to self", e.SendTo(1, nil), ErrSelf},
		{"try-send to self", second(e.TrySendTo(1, nil)), ErrSelf},
		{"recv from 3", second(e.RecvFrom(3, buf)), ErrRange},
		{"recv from self", second(e.RecvFrom(1, buf)), ErrSelf},
		{"peek from -1", third(e.Peek(-1, buf)), ErrRange},
		{"probe from self", third(e.Probe(1)), ErrSelf},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	if b.Endpoint(3) != nil || b.Endpoint(-1) != nil {
		t.Errorf("Endpoint out of range is not nil")
	}
	one := newBus(t, 1, Options{})
	if _, _, err := one.Endpoint(0).RecvAny(buf); !errors.Is(err, ErrSelf) {
		t.Errorf("RecvAny on a bus of one: %v", err)
	}
	bad := []Options{{Entries: 3}, {Entries: 1}, {SlotSize: 100}, {SlotSize: 32}, {Entries: 1 << 16}}
	for _, o := range bad {
		if _, err := New(2, o); err == nil {
			t.Errorf("New(2, %+v): no error", o)
		}
	}
	if _, err := New(0, Options{}); !errors.Is(err, ErrRange) {
		t.Errorf("New(0): %v", err)
	}
}

func second[A any](_ A, err error) error        { return err }
func third[A, B any](_ A, _ B, err error) error { return err }

func TestRecvAnyAllToOne(t *testing.T) {
	for _, n := range []int{2, 5, 8} {
		b := newBus(t, n, Options{Entries: 4, SlotSize: 128})
		const per = 200
		fns := []func(){}
		next := make([]int, n)
		var bad error
		fns = append(fns, func() {
			buf := make([]byte, 600)
			for k := 0; k < per*(n-1); k++ {
				src, m, err := b.Endpoint(0).RecvAny(buf)
				if err != nil {
					bad = err
					return
				}
				if want := pattern(src*1000+next[src], next[src]%500); !bytes.Equal(buf[:m], want) {
					bad = fmt.Errorf("message %d from %d out of order or damaged", next[src], src)
					return
				}
				next[src]++
			}
		})
		for s := 1; s < n; s++ {
			fns = append(fns, func() {
				for i := 0; i < per; i++ {
					b.Endpoint(s).SendTo(0, pattern(s*1000+i, i%500))
				}
			})
		}
		onCores(fns...)
		if bad != nil {
			t.Fatalf("%d endpoints: %v", n, bad)
		}
	}
}

func TestAllToAll(t *testing.T) {
	const n = 8
	b := newBus(t, n, Options{Entries: 2, SlotSize: 64})
	errs := make([]error, 2*n)
	var fns []func()
	for i := 0; i < n; i++ {
		fns = append(fns, func() {
			for d := 0; d < n; d++ {
				if d != i {
					if err := b.Endpoint(i).SendTo(d, pattern(i*n+d, 1000+d)); err != nil {
						errs[i] = err
					}
				}
			}
		}, func() {
			buf := make([]byte, 2000)
			for s := 0; s < n; s++ {
				if s == i {
					continue
				}
				m, err := b.Endpoint(i).RecvFrom(s, buf)
				if err == nil && !bytes.Equal(buf[:m], pattern(s*n+i, 1000+i)) {
					err = fmt.Errorf("%d from %d: wrong content", i, s)
				}
				if err != nil {
					errs[n+i] = err
				}
			}
		})
	}
	onCores(fns...)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestPackageFunctionsOnCores(t *testing.T) {
	if gotoro.Cores() < 2 {
		t.Skip("needs two cores")
	}
	var got []byte
	var errs [2]error
	onCores(func() {
		errs[0] = SendTo(1, []byte("ping"))
	}, func() {
		buf := make([]byte, 8)
		n, err := RecvFrom(0, buf)
		got, errs[1] = buf[:n], err
	})
	if errs[0] != nil || errs[1] != nil || string(got) != "ping" {
		t.Fatalf("got %q, errors %v", got, errs)
	}
}
