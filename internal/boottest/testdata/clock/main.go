// Command clock checks the guest's clock against independent references:
//
//   - its rate against the RTC (QEMU's CMOS clock, which follows the
//     host's clock): the median time between RTC second edges, within 5%
//     (enough to catch a wrong TSC rate or kvmclock scale, not drift);
//   - the wall clock against the RTC and against the host's launch time
//     (the first argument, ns since the Unix epoch);
//   - that time never goes back when read on different cores (one
//     goroutine per core, each checking its reading against the latest any
//     of them published before);
//   - that the vDSO clock and the clock_gettime system call agree.
//
// It prints one line per check and "clock ok" if all passed.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// cmos reads CMOS register r (port I/O: the program runs in ring 0 in the
// guest).
func cmos(r byte) byte

func bcd(v byte) int { return int(v&15) + int(v>>4)*10 }

// rtcSeconds returns the RTC's seconds register.
func rtcSeconds() int { return bcd(cmos(0)) }

// rtcEdge waits for the RTC's seconds to change and returns the guest
// times of the last read before the change and of the read that saw it
// (the edge lies between them, however late the vCPU ran), and the new
// seconds value.
func rtcEdge() (before, after time.Time, sec int) {
	s := rtcSeconds()
	before = time.Now()
	for {
		n := rtcSeconds()
		now := time.Now()
		if n != s {
			return before, now, n
		}
		before = now
	}
}

func roundAll(d []time.Duration) []time.Duration {
	r := make([]time.Duration, len(d))
	for i, x := range d {
		r[i] = x.Round(time.Millisecond)
	}
	return r
}

// sharpEdge is rtcEdge retried until the edge is bracketed within 20 ms
// (a vCPU descheduled at the wrong moment widens the bracket).
func sharpEdge() (before, after time.Time, sec int) {
	for i := 0; ; i++ {
		before, after, sec = rtcEdge()
		if after.Sub(before) < 20*time.Millisecond || i == 10 {
			return before, after, sec
		}
	}
}

// rtcUnix reads the RTC as seconds since the epoch (UTC, BCD, as QEMU's
// microvm RTC keeps it).
func rtcUnix() int64 {
	for cmos(0x0A)&0x80 != 0 { // update in progress
	}
	sec, min, hour := bcd(cmos(0)), bcd(cmos(2)), bcd(cmos(4))
	day, mon, year := bcd(cmos(7)), bcd(cmos(8)), bcd(cmos(9))+2000
	return time.Date(year, time.Month(mon), day, hour, min, sec, 0, time.UTC).Unix()
}

func main() {
	start := time.Now()
	ok := true
	fail := func(format string, args ...any) {
		ok = false
		fmt.Printf("FAIL: "+format+"\n", args...)
	}

	if len(os.Args) > 1 {
		host, err := strconv.ParseInt(os.Args[1], 10, 64)
		if err != nil {
			fail("bad host time %q", os.Args[1])
		} else {
			d := start.Sub(time.Unix(0, host))
			fmt.Printf("wall: guest start - host launch = %v\n", d.Round(time.Microsecond))
			if d < -500*time.Millisecond || d > time.Minute {
				fail("the guest's wall clock is %v from the host's launch time", d)
			}
		}
	}
	rtc := rtcUnix()
	if d := time.Now().Unix() - rtc; d < -2 || d > 2 {
		fail("wall clock %d s from the RTC's", d)
	} else {
		fmt.Printf("wall: guest - RTC = %d s (RTC resolution 1 s)\n", d)
	}

	// Rate: the guest time per RTC second, between RTC second edges. Each
	// edge is bracketed by guest readings, but under TCG on a loaded host
	// QEMU shows the RTC's seconds up to ~0.2 s early or late, so the
	// median of six intervals is compared, within 5%: enough to catch a
	// wrong TSC rate or kvmclock scale (factors, not drift).
	var iv []time.Duration
	_, prev, prevSec := sharpEdge()
	for i := 0; i < 6; i++ {
		b, a, sec := sharpEdge()
		n := (sec - prevSec + 60) % 60
		if n == 0 {
			n = 60
		}
		iv = append(iv, ((b.Sub(prev)+a.Sub(prev))/2)/time.Duration(n))
		prev, prevSec = a, sec
	}
	sorted := append([]time.Duration(nil), iv...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	med := (sorted[2] + sorted[3]) / 2
	fmt.Printf("rate: median RTC second = %v of guest time (intervals %v)\n", med.Round(time.Microsecond), roundAll(iv))
	if r := float64(med) / float64(time.Second); r < 0.95 || r > 1.05 {
		fail("the guest clock runs %.4f× the RTC's rate", r)
	}

	// Monotonic across cores.
	n := runtime.GOMAXPROCS(0)
	var latest atomic.Int64
	var backs, reads atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(time.Second)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				before := latest.Load()
				now := int64(time.Since(epoch))
				if now < before {
					backs.Add(1)
				}
				for {
					l := latest.Load()
					if now <= l || latest.CompareAndSwap(l, now) {
						break
					}
				}
				reads.Add(1)
				if k%256 == 0 {
					if time.Now().After(stop) {
						return
					}
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("monotonic: %d readings on %d threads, %d went back\n", reads.Load(), n, backs.Load())
	if backs.Load() != 0 {
		fail("the monotonic clock went back %d times across cores", backs.Load())
	}

	// The vDSO against the system call (CLOCK_REALTIME: the runtime reads
	// CLOCK_MONOTONIC only into time.Time's hidden monotonic reading).
	for i := 0; i < 1000; i++ {
		a := time.Now().UnixNano()
		b := syscallRealtime()
		c := time.Now().UnixNano()
		if b < a || c < b {
			fail("vDSO and clock_gettime disagree: %d, %d, %d", a, b, c)
			break
		}
	}
	if ok {
		fmt.Println("clock ok")
		return
	}
	os.Exit(1)
}

var epoch = time.Now()

// syscallRealtime reads CLOCK_REALTIME with the system call.
func syscallRealtime() int64 {
	var ts syscall.Timespec
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 0, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(e)
	}
	return ts.Nano()
}
