// Command vector checks that vector code is correct in the guest and that
// the runtime sees the vector features the CPU offers.
//
//	vector features   prints what golang.org/x/sys/cpu reports (the same
//	                  OSXSAVE and XCR0 checks as the runtime's internal/cpu)
//	                  and XCR0 itself
//	vector sigframe   checks the signal frames' FPU/vector state against
//	                  Linux's layout, and that rt_sigreturn loads it
//	vector stress W R runs W workers (each on its own locked thread) for R
//	                  rounds of vector-heavy work — memmove, bytes.IndexByte
//	                  and friends, sha256, AES-GCM, float64 vector math with
//	                  math.FMA — and, between rounds, holds patterns in all
//	                  sixteen X/Y registers and a non-default MXCSR across a
//	                  long loop. Meanwhile a goroutine sends SIGURG to the
//	                  workers' threads and another sleeps in short steps,
//	                  so the loops are interrupted, switched out and given
//	                  signals. It prints a digest per worker, which must
//	                  equal a native run's, and the register checks.
package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/cpu"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: vector features | vector sigframe | vector stress WORKERS ROUNDS")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "features":
		features()
	case "sigframe":
		if !sigframe() {
			os.Exit(1)
		}
	case "stress":
		w, _ := strconv.Atoi(os.Args[2])
		r, _ := strconv.Atoi(os.Args[3])
		if !stress(w, r) {
			os.Exit(1)
		}
	default:
		fmt.Println("unknown mode", os.Args[1])
		os.Exit(2)
	}
}

func features() {
	x := cpu.X86
	fmt.Printf("features: sse2=%v avx=%v avx2=%v fma=%v avx512f=%v osxsave=%v",
		x.HasSSE2, x.HasAVX, x.HasAVX2, x.HasFMA, x.HasAVX512F, x.HasOSXSAVE)
	if x.HasOSXSAVE {
		fmt.Printf(" xcr0=%#x", xgetbv0())
	}
	fmt.Println()
}

// rng is a small deterministic generator (xorshift64*), the same natively
// and in the guest.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = rng(x)
	return x * 2685821657736338717
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) fill(b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.next())
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(r.next())
	}
}

// round does one round of vector-heavy work and feeds every result to h.
func round(w, rn int, r *rng, h *digest, src, dst []byte) {
	// memmove: sizes from a few bytes to the whole buffer, odd offsets,
	// both directions of overlap.
	r.fill(src)
	for i := 0; i < 8; i++ {
		n := 1 + r.intn(len(src)/2)
		if i%4 == 0 {
			n = 1 + r.intn(300)
		}
		so, do := r.intn(len(src)-n), r.intn(len(dst)-n)
		copy(dst[do:do+n], src[so:so+n])
		h.bytes(dst[do : do+n])
		ov := r.intn(64) + 1
		if so+ov+n <= len(src) {
			copy(src[so+ov:so+ov+n], src[so:so+n]) // forward overlap
		}
		if so >= ov {
			copy(src[so-ov:so-ov+n], src[so:so+n]) // backward overlap
		}
	}
	h.bytes(src)
	h.mark(w, rn, "memmove")
	// bytes.IndexByte and friends: a byte absent from the data, planted
	// at a known place.
	for i := range dst {
		dst[i] = byte(i*7) | 1
	}
	for i := 0; i < 8; i++ {
		from := r.intn(len(dst) / 2)
		at := from + r.intn(len(dst)-from)
		dst[at] = 0
		got := bytes.IndexByte(dst[from:], 0)
		h.int(got)
		if got != at-from {
			h.fail("IndexByte")
		}
		h.int(bytes.Count(dst[from:], []byte{0}))
		h.int(bytes.Index(dst[from:], []byte{0, byte((at+1)*7) | 1}))
		h.bool(bytes.Equal(dst[:at], dst[:at]))
		dst[at] = byte(at*7) | 1
	}
	h.mark(w, rn, "index")
	// sha256 of varied lengths.
	for i := 0; i < 4; i++ {
		n := r.intn(len(src))
		s := sha256.Sum256(src[:n])
		h.bytes(s[:])
	}
	h.mark(w, rn, "sha")
	// AES-GCM: seal, then open and compare.
	var key [32]byte
	var nonce [12]byte
	r.fill(key[:])
	r.fill(nonce[:])
	blk, _ := aes.NewCipher(key[:])
	gcm, _ := cipher.NewGCM(blk)
	n := 1 + r.intn(len(src)/4)
	sealed := gcm.Seal(dst[:0], nonce[:], src[:n], nil)
	h.bytes(sealed)
	opened, err := gcm.Open(nil, nonce[:], sealed, nil)
	if err != nil || !bytes.Equal(opened, src[:n]) {
		h.fail("AES-GCM")
	}
	h.mark(w, rn, "gcm")
	// float64 vector math.
	const m = 2048
	a, b := make([]float64, m), make([]float64, m)
	for i := range a {
		a[i] = float64(r.next()>>11) / (1 << 53)
		b[i] = float64(r.next()>>11)/(1<<53) - 0.5
	}
	var dot, fma, norm float64
	for i := range a {
		dot += a[i] * b[i]
		fma = math.FMA(a[i], b[i], fma)
		a[i] = math.Sqrt(a[i]) + 0.5*b[i]
		norm += a[i] * a[i]
	}
	h.float(dot)
	h.float(fma)
	h.float(math.Sqrt(norm))
	h.mark(w, rn, "float")
}

// digest accumulates a worker's results.
type digest struct {
	sum    [32]byte
	buf    []byte
	failed string
}

var trace = os.Getenv("VECTOR_TRACE") != ""

func (d *digest) mark(w, r int, what string) {
	if trace {
		d.flush()
		fmt.Printf("T w%d r%d %s %x\n", w, r, what, d.sum[:6])
	}
}

func (d *digest) bytes(b []byte) {
	d.buf = append(d.buf, b...)
	if len(d.buf) > 1<<16 {
		d.flush()
	}
}

func (d *digest) flush() {
	d.buf = append(d.buf, d.sum[:]...)
	d.sum = sha256.Sum256(d.buf)
	d.buf = d.buf[:0]
}

func (d *digest) int(v int) { d.buf = binary.LittleEndian.AppendUint64(d.buf, uint64(v)) }

func (d *digest) float(v float64) { d.int(int(math.Float64bits(v))) }

func (d *digest) bool(v bool) {
	if v {
		d.int(1)
	} else {
		d.int(0)
	}
}

func (d *digest) fail(what string) {
	if d.failed == "" {
		d.failed = what
	}
}

// holdIters is how long the register-holding loop spins.
const holdIters = 2_000_000

// hold fills the vector registers with a pattern from seed, spins, and
// reports how many registers came back changed.
func hold(seed uint64, wide bool) int {
	var in, out [16][32]byte
	r := rng(seed | 1)
	for i := range in {
		r.fill(in[i][:])
	}
	mxcsr := uint32(0x1F80 | 0x6000 | 0x8000) // round toward zero, flush to zero
	var gotMXCSR uint32
	if wide {
		holdY(&in, &out, holdIters, mxcsr, &gotMXCSR)
	} else {
		holdX(&in, &out, holdIters, mxcsr, &gotMXCSR)
	}
	bad := 0
	for i := range in {
		n := 32
		if !wide {
			n = 16
		}
		if !bytes.Equal(in[i][:n], out[i][:n]) {
			bad++
		}
	}
	if gotMXCSR != mxcsr {
		bad++
	}
	return bad
}

func stress(workers, rounds int) bool {
	wide := cpu.X86.HasAVX
	var tids []int32
	var mu sync.Mutex
	var stop atomic.Bool
	var holds, corrupt atomic.Int64
	sums := make([]digest, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			runtime.LockOSThread()
			mu.Lock()
			tids = append(tids, int32(syscall.Gettid()))
			mu.Unlock()
			r := rng(uint64(w+1) * 0x9E3779B97F4A7C15)
			src, dst := make([]byte, 256<<10+13), make([]byte, 256<<10+29)
			d := &sums[w]
			for i := 0; i < rounds; i++ {
				round(w, i, &r, d, src, dst)
				holds.Add(1)
				if b := hold(r.next(), wide); b != 0 {
					corrupt.Add(int64(b))
				}
			}
			d.flush()
		}(w)
	}
	// Signals at the workers' threads, wherever they are.
	var signals atomic.Int64
	go func() {
		pid := syscall.Getpid()
		for i := 0; !stop.Load(); i++ {
			mu.Lock()
			if len(tids) > 0 {
				if syscall.Tgkill(pid, int(tids[i%len(tids)]), syscall.SIGURG) == nil {
					signals.Add(1)
				}
			}
			mu.Unlock()
			time.Sleep(200 * time.Microsecond)
		}
	}()
	// Timer interrupts and garbage.
	go func() {
		for !stop.Load() {
			time.Sleep(50 * time.Microsecond)
			_ = make([]byte, 64<<10)
		}
	}()
	wg.Wait()
	stop.Store(true)
	ok := true
	for w := range sums {
		d := &sums[w]
		fmt.Printf("worker %d digest %x\n", w, d.sum[:12])
		if d.failed != "" {
			fmt.Printf("FAIL: worker %d: wrong %s result\n", w, d.failed)
			ok = false
		}
	}
	regs := "X0-X15"
	if wide {
		regs = "Y0-Y15"
	}
	fmt.Printf("register holds: %d, corrupted registers: %d (%s and MXCSR)\n", holds.Load(), corrupt.Load(), regs)
	if corrupt.Load() != 0 {
		ok = false
	}
	fmt.Fprintf(os.Stderr, "signals sent: %d\n", signals.Load())
	return ok
}
