package kernel

import (
	"bytes"
	"math/rand"
	sys "syscall"
	"testing"
)

// Ring arithmetic: pageRingRead/pageRingWrite (pipe.go) and a pipe's
// non-blocking reads and writes, over rings of pages mapped for the test
// (outside the Go heap, as the kernel's pages are).

// testPages maps n pages and returns their addresses.
func testPages(t *testing.T, n int) []uintptr {
	t.Helper()
	mem, err := sys.Mmap(-1, 0, n*pageSize, sys.PROT_READ|sys.PROT_WRITE, sys.MAP_ANON|sys.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Munmap(mem) })
	pages := make([]uintptr, n)
	for i := range pages {
		// Out of order, as physical pages come: the ring must not assume
		// its pages are contiguous.
		pages[i] = uintptrOf(&mem[((i*5)%n)*pageSize])
	}
	return pages
}

func TestPageRing(t *testing.T) {
	const n = 4
	ring := testPages(t, n)
	size := n * pageSize
	r := rand.New(rand.NewSource(2))
	var model bytes.Buffer
	rd, used := 0, 0
	var serial byte
	for i := 0; i < 2000; i++ {
		if r.Intn(2) == 0 { // write up to the room left
			m := r.Intn(size - used + 1)
			b := make([]byte, m)
			for j := range b {
				serial++
				b[j] = serial
			}
			if w := pageRingWrite(ring, (rd+used)%size, b); w != m {
				t.Fatalf("pageRingWrite wrote %d of %d", w, m)
			}
			model.Write(b)
			used += m
		} else { // read up to what is buffered, sometimes into a short buffer
			b := make([]byte, r.Intn(size+1))
			got := pageRingRead(b, ring, rd, used)
			want := model.Next(min(len(b), used))
			if got != len(want) || !bytes.Equal(b[:got], want) {
				t.Fatalf("step %d: pageRingRead from %d (%d buffered) returned %d bytes, want %d; data differs: %v",
					i, rd, used, got, len(want), !bytes.Equal(b[:got], want))
			}
			rd = (rd + got) % size
			used -= got
		}
	}
}

// TestPipeNonblocking writes and reads an ordinary pipe in random sizes
// through its 64 KiB ring, wrapping many times.
func TestPipeNonblocking(t *testing.T) {
	resetFiles(t)
	p := &pipes[0]
	*p = pipe{used: true, readers: 1, writers: 1}
	copy(p.pages[:], testPages(t, pipePages))
	r := rand.New(rand.NewSource(3))
	var model bytes.Buffer
	var serial byte
	for i := 0; i < 3000; i++ {
		if r.Intn(2) == 0 {
			b := make([]byte, 1+r.Intn(3*pageSize))
			for j := range b {
				serial++
				b[j] = serial
			}
			room := pipeSize - p.n
			got := pipeWriteIdx(0, true, b)
			want := int64(min(len(b), room))
			if len(b) <= pipeBuf && room < len(b) {
				want = 0 // PIPE_BUF: all or nothing
			}
			if want == 0 {
				want = -EAGAIN
			}
			if got != want {
				t.Fatalf("write of %d with %d free = %d, want %d", len(b), room, got, want)
			}
			if got > 0 {
				model.Write(b[:got])
			}
		} else {
			b := make([]byte, 1+r.Intn(3*pageSize))
			had := p.n
			got := pipeReadIdx(0, true, b)
			if had == 0 {
				if got != -EAGAIN {
					t.Fatalf("read of an empty pipe = %d, want EAGAIN", got)
				}
				continue
			}
			want := model.Next(min(len(b), had))
			if got != int64(len(want)) || !bytes.Equal(b[:got], want) {
				t.Fatalf("read of %d with %d buffered = %d bytes, want %d (or different data)", len(b), had, got, len(want))
			}
		}
		if p.n != model.Len() {
			t.Fatalf("pipe holds %d bytes, the model %d", p.n, model.Len())
		}
	}
	// The writer leaves: the rest is read, then end of file.
	p.writers = 0
	rest := make([]byte, pipeSize)
	got := pipeReadIdx(0, true, rest)
	if want := model.Len(); want > 0 && got != int64(want) {
		t.Fatalf("read after the writer left: %d, want %d", got, want)
	}
	if got := pipeReadIdx(0, true, rest); got != 0 {
		t.Fatalf("read at end of file = %d, want 0", got)
	}
}
