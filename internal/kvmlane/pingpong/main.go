// Command pingpong is the Linux control of the KVM lane: the cross-core
// futex ping-pong of gotoro's wake stress, run as /init of a Linux guest
// (Debian's cloud kernel) on the same QEMU and accelerator. Two threads
// pinned to CPUs 0 and 1 hand a turn back and forth, both directions, and
// the round trips are summarized. A wake-up interrupt that an idle CPU
// takes in its STI shadow returns to its HLT: Linux then sleeps until its
// next timer, which shows as round trips of milliseconds instead of
// microseconds. It prints one line per direction and powers off.
//
// Kernel command line: pingpong.rounds=N (default 2000).
package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	if os.Getpid() == 1 {
		defer powerOff()
		syscall.Mount("proc", "/proc", "proc", 0, "")
	}
	rounds := 2000
	if b, err := os.ReadFile("/proc/cmdline"); err == nil {
		for _, f := range strings.Fields(string(b)) {
			if v, ok := strings.CutPrefix(f, "pingpong.rounds="); ok {
				if n, err := strconv.Atoi(v); err == nil && n > 0 {
					rounds = n
				}
			}
		}
	}
	if n := runtime.NumCPU(); n < 2 {
		fmt.Println("PINGPONG FAIL: need 2 CPUs, have", n)
		return
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	fmt.Printf("PINGPONG linux %s, %d CPUs, %d rounds\n", strings.TrimSpace(string(kernel)), runtime.NumCPU(), rounds)
	for _, d := range [][2]int{{0, 1}, {1, 0}} {
		fmt.Println("PINGPONG " + pingPong(d[0], d[1], rounds))
	}
	fmt.Println("PINGPONG DONE")
}

// pingPong hands a turn from CPU from to CPU to and back rounds times.
func pingPong(from, to, rounds int) string {
	var turn atomic.Uint32
	rtts := make([]time.Duration, 0, rounds)
	var sleeps atomic.Int64
	done := make(chan bool, 2)
	go func() {
		pin(to)
		n := 0
		for i := 0; i < rounds; i++ {
			n += waitFor(&turn, 1)
			set(&turn, 0)
		}
		sleeps.Add(int64(n))
		done <- true
	}()
	go func() {
		pin(from)
		n := 0
		for i := 0; i < rounds; i++ {
			s := time.Now()
			set(&turn, 1)
			n += waitFor(&turn, 0)
			rtts = append(rtts, time.Since(s))
		}
		sleeps.Add(int64(n))
		done <- true
	}()
	<-done
	<-done
	slices.Sort(rtts)
	over := func(d time.Duration) int {
		i, _ := slices.BinarySearch(rtts, d)
		return len(rtts) - i
	}
	return fmt.Sprintf("%d->%d: %d rounds, %d sleeps, round trip median %v p99 %v max %v, over 1ms %d, over 10ms %d",
		from, to, rounds, sleeps.Load(), rtts[len(rtts)/2].Round(time.Microsecond), rtts[len(rtts)*99/100].Round(time.Microsecond),
		rtts[len(rtts)-1].Round(time.Microsecond), over(time.Millisecond), over(10*time.Millisecond))
}

// pin locks the goroutine to its thread and the thread to cpu.
func pin(cpu int) {
	runtime.LockOSThread()
	var set [16]uint64
	set[cpu/64] = 1 << (cpu % 64)
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(set), uintptr(unsafe.Pointer(&set))); e != 0 {
		fmt.Println("PINGPONG FAIL: sched_setaffinity:", e)
		os.Exit(1)
	}
}

func waitFor(w *atomic.Uint32, want uint32) int {
	n := 0
	for {
		v := w.Load()
		if v == want {
			return n
		}
		_, _, e := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 0|128, uintptr(v), 0, 0, 0)
		if e == 0 {
			n++
		}
	}
}

func set(w *atomic.Uint32, v uint32) {
	w.Store(v)
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 1|128, 1, 0, 0, 0)
}

func powerOff() {
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
}
