// Command vector checks that vector code is correct in the guest and that
// the runtime sees the vector features the CPU offers.
//
//	vector features   prints what golang.org/x/sys/cpu reports (the same
//	                  OSXSAVE and XCR0 checks as the runtime's internal/cpu)
//	                  and XCR0 itself
//	vector sigframe   checks the signal frames' FPU/vector state against
//	                  Linux's layout, and that rt_sigreturn loads it
//	vector stress W R runs W workers (each on its own locked thread) for R
//	                  rounds of vector-heavy work (internal/vectorwork:
//	                  memmove, bytes.IndexByte and friends, sha256, AES-GCM,
//	                  float64 vector math with math.FMA) and, between rounds, holds patterns in all
//	                  sixteen X/Y registers and a non-default MXCSR across a
//	                  long loop. Meanwhile a goroutine sends SIGURG to the
//	                  workers' threads and another sleeps in short steps,
//	                  so the loops are interrupted, switched out and given
//	                  signals. It prints a digest per worker, which must
//	                  equal a native run's, and the register checks.
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/gotoro/gotoro/internal/vectorwork"
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

// holdIters is how long the register-holding loop spins.
const holdIters = 2_000_000

// hold fills the vector registers with a pattern from seed, spins, and
// reports how many registers came back changed.
func hold(seed uint64, wide bool) int {
	var in, out [16][32]byte
	r := vectorwork.RNG(seed | 1)
	for i := range in {
		r.Fill(in[i][:])
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
	sums := make([]*vectorwork.Digest, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			runtime.LockOSThread()
			mu.Lock()
			tids = append(tids, int32(syscall.Gettid()))
			mu.Unlock()
			sums[w] = vectorwork.Worker(w, rounds, func(seed uint64) {
				holds.Add(1)
				if b := hold(seed, wide); b != 0 {
					corrupt.Add(int64(b))
				}
			})
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
	for w, d := range sums {
		fmt.Printf("worker %d digest %s\n", w, d.Hex())
		if d.Failed != "" {
			fmt.Printf("FAIL: worker %d: wrong %s result\n", w, d.Failed)
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
