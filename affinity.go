package gotoro

import (
	"fmt"
	"math/bits"
	"syscall"
	"unsafe"
)

// cpuSet is a sched_setaffinity mask for up to 1024 CPUs.
type cpuSet [16]uint64

func (s *cpuSet) set(cpu int)      { s[cpu/64] |= 1 << (cpu % 64) }
func (s *cpuSet) has(cpu int) bool { return s[cpu/64]&(1<<(cpu%64)) != 0 }

// topology maps gotoro core numbers to OS CPU numbers.
type topology struct {
	cpus   []int       // core → OS CPU
	coreOf map[int]int // OS CPU → core
}

// topo is fixed at start-up from the process's affinity mask.
var topo = loadTopology()

func loadTopology() topology {
	t := topology{coreOf: map[int]int{}}
	s, err := getAffinity()
	if err != nil {
		// No mask: the program still has the CPU it runs on.
		s = cpuSet{}
		s.set(0)
	}
	for w, word := range s {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			cpu := w*64 + b
			t.coreOf[cpu] = len(t.cpus)
			t.cpus = append(t.cpus, cpu)
		}
	}
	return t
}

// getAffinity returns the calling thread's CPU mask.
func getAffinity() (cpuSet, error) {
	var s cpuSet
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(s), uintptr(unsafe.Pointer(&s)))
	if e != 0 {
		return s, fmt.Errorf("sched_getaffinity: %w", e)
	}
	return s, nil
}

// setAffinity sets the calling thread's CPU mask.
func setAffinity(s cpuSet) error {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(s), uintptr(unsafe.Pointer(&s)))
	if e != 0 {
		return fmt.Errorf("sched_setaffinity: %w", e)
	}
	return nil
}

// pinThread moves the calling thread to core and keeps it there.
func pinThread(core int) error {
	var s cpuSet
	s.set(topo.cpus[core])
	if err := setAffinity(s); err != nil {
		return fmt.Errorf("pinning to core %d: %w", core, err)
	}
	return nil
}
