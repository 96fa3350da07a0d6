package vio

import (
	"testing"
	"unsafe"

	"github.com/gotoro/gotoro/internal/virtio"
)

// The virtqueue logic, tested hosted against a device model that plays
// the device's side of the split ring in ordinary memory; the MMIO
// transport and the real devices are tested by booting (virtio-blk,
// virtio-fs, vsock and netdev boot cases).

// arena holds the test's "physical" pages; Go's heap does not move, and
// the slices keep them alive.
var arena [][]byte

// testHost is the kernel's side for the tests: pages from the arena, and
// a Block or Yield that lets the device model work.
type testHost struct{}

var (
	dev       *model // the device model the host runs on Block and Yield
	blocks    int    // how often a thread would have slept
	wakes     int    // how often Free woke waiters
	pageLimit = -1   // pages Page may still give (-1: no limit)
	// onBlock, if set, is what happens while a thread sleeps (other
	// threads' work); by default the device runs.
	onBlock func()
)

func (testHost) Page() uintptr {
	if pageLimit == 0 {
		return 0
	}
	pageLimit--
	b := make([]byte, 2*pageSize)
	arena = append(arena, b)
	p := uintptr(unsafe.Pointer(&b[0]))
	return (p + pageSize - 1) &^ (pageSize - 1)
}
func (testHost) CanBlock() bool { return true }
func (testHost) Block(key uintptr) {
	blocks++
	if blocks > 1000 {
		panic("a thread sleeps for ever: nothing it waits for comes")
	}
	if onBlock != nil {
		onBlock()
		return
	}
	dev.run()
}
func (testHost) Wake(key uintptr) { wakes++ }
func (testHost) Yield()           { dev.run() }
func (testHost) Stop(msg string)  { panic(msg) }

// model is the device side of one queue: it takes available chains in
// order and completes them, filling every device-writable segment with
// fill and reporting the bytes written.
type model struct {
	q      *Queue
	seen   uint16 // available-ring entries taken
	usedI  uint16
	fill   byte
	chains [][]Seg // the segments of each chain it took, in order
}

func (m *model) run() {
	q := m.q
	availIdx := *(*uint16)(ptr(q.avail + 2))
	for m.seen != availIdx {
		head := *(*uint16)(ptr(q.avail + virtio.RingStart + uintptr(m.seen&(q.size-1))*2))
		m.seen++
		var segs []Seg
		written := uint32(0)
		visit := func(d *virtio.Desc) {
			s := Seg{Addr: uintptr(d.Addr), Len: d.Len, DevWrites: d.Flags&virtio.DescWrite != 0}
			if s.DevWrites {
				for i := uintptr(0); i < uintptr(s.Len); i++ {
					*(*byte)(ptr(s.Addr + i)) = m.fill
				}
				written += s.Len
			}
			segs = append(segs, s)
		}
		d := q.descAt(head)
		if d.Flags&virtio.DescIndirect != 0 {
			for i := uintptr(0); ; i++ {
				e := (*virtio.Desc)(ptr(uintptr(d.Addr) + i*virtio.DescSize))
				visit(e)
				if e.Flags&virtio.DescNext == 0 {
					break
				}
			}
		} else {
			for {
				visit(d)
				if d.Flags&virtio.DescNext == 0 {
					break
				}
				d = q.descAt(d.Next)
			}
		}
		m.chains = append(m.chains, segs)
		e := q.usedElem(m.usedI)
		e.ID, e.Len = uint32(head), written
		m.usedI++
		*(*uint16)(ptr(q.used + 2)) = m.usedI
	}
}

// newTestQueue resets the package's tables and returns a queue of size
// entries on a device whose MMIO window is ordinary memory.
func newTestQueue(t *testing.T, size uint16, indirect bool) *Queue {
	t.Helper()
	SetHost(testHost{})
	ndevices, nqueues, blocks, wakes, pageLimit, onBlock = 0, 0, 0, 0, -1, nil
	mmio := testHost{}.Page()
	devices[0] = Device{base: mmio}
	ndevices = 1
	q := newQueue(0, 0, size)
	if q == nil {
		t.Fatal("newQueue failed")
	}
	q.indirect = indirect
	dev = &model{q: q, fill: 0xA5}
	return q
}

// buf returns a page-sized buffer's address.
func buf() uintptr { return testHost{}.Page() }

func TestQueueDirectChain(t *testing.T) {
	q := newTestQueue(t, 8, false)
	out, in := buf(), buf()
	segs := []Seg{{Addr: out, Len: 16}, {Addr: out + 16, Len: 32}, {Addr: in, Len: 100, DevWrites: true}}
	if !q.Fits(len(segs)) {
		t.Fatal("a chain of 3 does not fit a queue of 8")
	}
	head := q.Add(segs)
	if q.nfree != 5 {
		t.Errorf("after adding 3 descriptors, %d of 8 free", q.nfree)
	}
	q.Kick()
	if n := q.Wait(head); n != 100 {
		t.Errorf("Wait = %d bytes, want 100", n)
	}
	if blocks != 1 {
		t.Errorf("Wait slept %d times, want 1", blocks)
	}
	if q.nfree != 8 {
		t.Errorf("after Wait, %d of 8 descriptors free", q.nfree)
	}
	if got := *(*byte)(ptr(in + 99)); got != 0xA5 {
		t.Errorf("the device's bytes did not arrive: %#x", got)
	}
	if len(dev.chains) != 1 || len(dev.chains[0]) != 3 || dev.chains[0][1].Addr != out+16 || !dev.chains[0][2].DevWrites || dev.chains[0][0].DevWrites {
		t.Errorf("the device saw %+v", dev.chains)
	}
}

func TestQueueIndirect(t *testing.T) {
	q := newTestQueue(t, 4, true)
	if q.Fits(0) || !q.Fits(indirectMax) || q.Fits(indirectMax+1) {
		t.Errorf("Fits(0, %d, %d) = %v %v %v; want false true false", indirectMax, indirectMax+1, q.Fits(0), q.Fits(indirectMax), q.Fits(indirectMax+1))
	}
	p := buf()
	segs := make([]Seg, 10)
	for i := range segs {
		segs[i] = Seg{Addr: p + uintptr(i)*64, Len: 64, DevWrites: i >= 5}
	}
	var tables []uintptr
	for round := 0; round < 3; round++ {
		head := q.Add(segs)
		if q.nfree != 3 {
			t.Fatalf("an indirect chain took %d descriptors, want 1", 4-q.nfree)
		}
		tables = append(tables, q.indir[head])
		q.Kick()
		if n := q.Wait(head); n != 5*64 {
			t.Errorf("round %d: Wait = %d, want %d", round, n, 5*64)
		}
	}
	if tables[0] == 0 || tables[1] != tables[0] && tables[2] != tables[0] {
		// Heads are reused LIFO: the head freed is the next one taken.
		t.Errorf("indirect tables %#x: want one page allocated and reused", tables)
	}
	for i, c := range dev.chains {
		if len(c) != 10 {
			t.Errorf("chain %d: the device saw %d segments, want 10", i, len(c))
		}
	}
	// Without INDIRECT_DESC a long chain cannot fit a short queue.
	q.indirect = false
	if q.Fits(10) {
		t.Error("a chain of 10 fits a queue of 4 without indirect descriptors")
	}
}

func TestQueueFullWaits(t *testing.T) {
	q := newTestQueue(t, 4, false)
	// While a thread waits for descriptors, the device completes the
	// chains in the ring and their owners (other threads) collect them.
	collected := 0
	onBlock = func() {
		dev.run()
		q.Reap()
		for h := uint16(0); h < q.size; h++ {
			if q.Done(h) {
				q.Free(h)
				collected++
			}
		}
	}
	p := buf()
	var heads []uint16
	for i := 0; i < 4; i++ { // two chains of 2 fill the ring; the rest wait
		heads = append(heads, q.Add([]Seg{{Addr: p, Len: 8}, {Addr: p + 8, Len: 8, DevWrites: true}}))
		if i == 1 && (q.nfree != 0 || blocks != 0) {
			t.Fatalf("after two chains: %d free, %d sleeps", q.nfree, blocks)
		}
	}
	if blocks == 0 || wakes == 0 {
		t.Errorf("Add on a full ring: %d sleeps, %d wake-ups by Free; want both", blocks, wakes)
	}
	if collected != 2 || q.nfree != 0 {
		t.Errorf("%d chains collected, %d descriptors free; want 2 and 0", collected, q.nfree)
	}
	if heads[2] == heads[3] {
		t.Errorf("head %d handed out twice", heads[2])
	}
}

func TestQueueNextUsed(t *testing.T) {
	q := newTestQueue(t, 8, false)
	p := buf()
	var heads []uint16
	for i := 0; i < 3; i++ {
		heads = append(heads, q.Add([]Seg{{Addr: p + uintptr(i)*256, Len: uint32(10 + i), DevWrites: true}}))
	}
	if q.Pending() {
		t.Error("Pending before the device ran")
	}
	dev.run()
	if !q.Pending() {
		t.Error("not Pending after the device completed three chains")
	}
	for i, want := range heads {
		h, n, ok := q.NextUsed()
		if !ok || h != want || n != uint32(10+i) {
			t.Errorf("NextUsed #%d = %d, %d, %v; want %d, %d, true", i, h, n, ok, want, 10+i)
		}
		q.Free(h)
	}
	if _, _, ok := q.NextUsed(); ok || q.Pending() {
		t.Error("NextUsed found a fourth chain")
	}
	if q.nfree != 8 {
		t.Errorf("%d of 8 descriptors free after all were freed", q.nfree)
	}
}

func TestQueueAllocation(t *testing.T) {
	newTestQueue(t, 8, false)
	for _, size := range []uint16{0, 3, QueueMaxSize * 2} {
		if newQueue(0, 1, size) != nil {
			t.Errorf("newQueue accepted size %d", size)
		}
	}
	pageLimit = 2
	if newQueue(0, 1, 8) != nil {
		t.Error("newQueue succeeded without memory for its three pages")
	}
}
