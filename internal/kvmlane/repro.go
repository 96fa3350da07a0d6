package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// L1's side of the stale-translation problem (stale.go): where its kernel
// text is, and a reproducer.

// int3Path are the functions of L1's kernel a CPU runs through while it
// loops on a stale INT3 (stale.go): the handler, its NMI-like entry and
// exit, and the text-patching check that rewinds to the patched
// instruction. The entry code (the stub, paranoid_entry, the IRET path)
// is added as the whole entry text (__entry_text_start to
// __entry_text_end).
var int3Path = []string{"exc_int3", "do_int3", "poke_int3_handler", "do_int3_user", "irqentry_nmi_enter", "irqentry_nmi_exit"}

// kernelSyms is what the host needs to know of L1's kernel: its text and
// where the functions of int3Path lie.
type kernelSyms struct {
	text kernelText
	int3 []kernelText
}

// readKernelSyms reads _stext, _etext and the extent of int3Path's
// functions (to the next text symbol) from kallsyms; L1's process 1 runs
// as root with every capability, so the addresses are real.
func readKernelSyms(path string) (kernelSyms, error) {
	f, err := os.Open(path)
	if err != nil {
		return kernelSyms{}, err
	}
	defer f.Close()
	var ks kernelSyms
	var starts []uint64 // every text symbol, for the functions' ends
	want := map[string]uint64{}
	var entry kernelText
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sym, ok, err := kallsymsText(sc.Text())
		if err != nil {
			return kernelSyms{}, fmt.Errorf("%s: %w", path, err)
		}
		if !ok {
			continue
		}
		a := sym.addr
		starts = append(starts, a)
		switch sym.name {
		case "_stext":
			ks.text.start = a
		case "_etext":
			ks.text.end = a
		case "__entry_text_start":
			entry.start = a
		case "__entry_text_end":
			entry.end = a
		default:
			if slices.Contains(int3Path, sym.name) && sym.module == "" {
				want[sym.name] = a
			}
		}
	}
	if err := sc.Err(); err != nil {
		return kernelSyms{}, fmt.Errorf("%s: %w", path, err)
	}
	if ks.text.start == 0 || ks.text.end <= ks.text.start {
		return kernelSyms{}, fmt.Errorf("%s: no _stext/_etext with real addresses (kptr_restrict?)", path)
	}
	if entry.start != 0 && entry.end > entry.start {
		ks.int3 = append(ks.int3, entry)
	}
	slices.Sort(starts)
	for _, name := range int3Path {
		a, ok := want[name]
		if !ok {
			continue
		}
		i, _ := slices.BinarySearch(starts, a+1)
		end := a + 0x1000 // the last symbol: a bound
		if i < len(starts) {
			end = starts[i]
		}
		ks.int3 = append(ks.int3, kernelText{a, end})
	}
	return ks, nil
}

// reproName is the reproducer's name in the lane's results.
const reproName = "repro-stale"

// kvmCreateVM is KVM_CREATE_VM, _IO(KVMIO, 0x01).
const kvmCreateVM = 0xae01

// reproStale provokes L0's stale translation for d: one thread creates
// and destroys KVM VMs in a tight loop, which switches the static key of
// the preempt notifiers (on with the first VM, off with the last: Linux
// rewrites its patch sites in __schedule each time), while two threads
// per CPU yield to each other, so that every CPU runs through __schedule
// while its code is rewritten. It reports as one more result: PASS when
// L1 ran through it (recovered or never stuck), with the count of VMs and
// the stalls L1 saw.
func reproStale(d time.Duration) {
	fmt.Printf("%s%s\n", markRun, reproName)
	start := time.Now()
	kvm, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		fmt.Printf("%s%s (0.00s)\n    %v\n", markFail, reproName, err)
		return
	}
	defer kvm.Close()
	var stop atomic.Bool
	var yields atomic.Uint64
	var wg sync.WaitGroup
	for i := 0; i < 2*runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			n := uint64(0)
			for !stop.Load() {
				syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
				n++
			}
			yields.Add(n)
		}()
	}
	var vms uint64
	var firstErr error
	deadline := start.Add(d)
	for time.Now().Before(deadline) {
		fd, _, e := syscall.Syscall(syscall.SYS_IOCTL, kvm.Fd(), kvmCreateVM, 0)
		if e != 0 {
			if firstErr == nil {
				firstErr = e
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		syscall.Close(int(fd))
		vms++
	}
	stop.Store(true)
	wg.Wait()
	end := time.Now()
	stall, stalled := l1Stalls.during(start, end)
	secs := end.Sub(start).Seconds()
	if vms == 0 {
		fmt.Printf("%s%s (%.2fs)\n    no VM created: KVM_CREATE_VM: %v\n", markFail, reproName, secs, firstErr)
		return
	}
	fmt.Printf("%s%s (%.2fs)\n", markPass, reproName, secs)
	fmt.Printf("%s%s: %d VMs created and destroyed in %v (%.0f/s), %d yields on %d CPUs", markInfo, reproName, vms, end.Sub(start).Round(time.Second), float64(vms)/secs, yields.Load(), runtime.NumCPU())
	if stalled {
		fmt.Printf("; L1 stopped for up to %v meanwhile", stall.Round(time.Second))
	}
	fmt.Println()
}

// residentVM creates a KVM VM without vCPUs and returns its descriptor:
// while it is open the static keys KVM switches on with the first VM
// (the preempt notifiers', whose sites are in __schedule) stay on, and
// Linux does not rewrite those sites when the lane's guests come and go.
func residentVM() (int, error) {
	kvm, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return -1, err
	}
	defer kvm.Close()
	fd, _, e := syscall.Syscall(syscall.SYS_IOCTL, kvm.Fd(), kvmCreateVM, 0)
	if e != 0 {
		return -1, fmt.Errorf("KVM_CREATE_VM: %w", e)
	}
	return int(fd), nil
}
