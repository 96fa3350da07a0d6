package ktime

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
)

// kvmclock: KVM's paravirtual clock. Each core gives the host the address
// of its own pvclock time information (MSR_KVM_SYSTEM_TIME_NEW); the host
// keeps it current, and the time in ns is
//
//	system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32
//
// read under the structure's version (odd while the host updates it).
// When it is offered, kvmclock is the kernel's clock source (Now and
// the vDSO), so the guest's clock follows the host's even if the TSC rate
// or offset changes under it (live migration, host frequency changes),
// and the wall clock comes from the host's kvmclock wall clock. With
// PVCLOCK_TSC_STABLE_BIT the host promises that the cores' readings are
// consistent, and each reading is used as is; without it readings from
// different cores may disagree slightly, and the kernel and the vDSO hand
// out the largest value any core has read (clock.last), as Linux does.
// kvmclock=0 on the command line keeps the TSC as the clock.

const (
	msrKVMWallClockNew  = 0x4b564d00
	msrKVMSystemTimeNew = 0x4b564d01

	kvmFeatureClocksource2 = 1 << 3
	kvmFeatureStableBit    = 1 << 24
	pvclockTSCStableBit    = 1 << 0
	pvclockSlot            = 64 // bytes per core: the 32-byte structure, cache-line aligned
)

// pvclockTimeInfo is struct pvclock_vcpu_time_info (pvclockRead reads
// it by offset; checked by TestLayouts).
type pvclockTimeInfo struct {
	version        uint32
	_              uint32
	tscTimestamp   uint64
	systemTime     uint64
	tscToSystemMul uint32
	tscShift       int8
	flags          uint8
	_              [2]uint8
}

// pvclockWallClock is struct pvclock_wall_clock: the wall-clock time at
// which kvmclock read 0.
type pvclockWallClock struct {
	version uint32
	sec     uint32
	nsec    uint32
}

// pvclockPages holds the cores' time information, pvclockSlot bytes each
// from the first 64-byte boundary (kvmclock.base).
var pvclockPages [(bootabi.MaxCPUs + 1) * pvclockSlot]byte

var kvmclockWall pvclockWallClock

// kvmclockOffered reports whether KVM offers kvmclock (the new MSRs).
// It runs at boot only (a prologue's stack check is a block under TCG).
//
//go:nosplit
func kvmclockOffered() bool {
	_, b, c, d := arch.CPUID(0x40000000, 0)
	if (b^0x4b4d564b)|(c^0x564b4d56)|(d^0x4d) != 0 { // one test, not three
		return false // not "KVMKVMKVM"
	}
	return arch.KVMFeatures()&kvmFeatureClocksource2 != 0
}

// kvmclockSlot returns the address of core id's time information.
func kvmclockSlot(id int64) uintptr {
	base := (uintptrOf(&pvclockPages) + pvclockSlot - 1) &^ (pvclockSlot - 1)
	return base + uintptr(id)*pvclockSlot
}

// kvmclockRegister gives the host this core's time information and waits
// until the host has filled it.
func kvmclockRegister(id int64) *pvclockTimeInfo {
	p := kvmclockSlot(id)
	pv := (*pvclockTimeInfo)(ptr(p))
	arch.Wrmsr(msrKVMSystemTimeNew, uint64(p)|1)
	for v := atomic.LoadUint32(&pv.version); v == 0 || v&1 != 0; v = atomic.LoadUint32(&pv.version) {
		arch.Pause()
	}
	return pv
}

// kvmclockHz returns the TSC frequency kvmclock's scale implies.
func kvmclockHz(pv *pvclockTimeInfo) uint64 {
	mul, shift := uint64(pv.tscToSystemMul), int(pv.tscShift)
	if mul == 0 {
		return 0
	}
	hz := (uint64(1_000_000_000) << 32) / mul
	if shift < 0 {
		hz <<= uint(-shift)
	} else {
		hz >>= uint(shift)
	}
	return hz
}

// InitCPU registers the time information of core id, an application
// processor, if kvmclock is the clock; before the core reads the clock.
func InitCPU(id int64) {
	if clock.kvm != 0 {
		kvmclockRegister(id)
	}
}

// kvmclockNow returns kvmclock's reading in ns from core id's time
// information. Unless the host marks the readings stable, the result is
// the latest any core has seen, so that time never goes back when a
// thread moves between cores.
func kvmclockNow(id int64) uint64 {
	ns, flags := pvclockRead(kvmclockSlot(id))
	if uint64(flags)&clock.kvmStable != 0 {
		return ns
	}
	for {
		last := atomic.LoadUint64(&clock.last)
		if ns <= last {
			return last
		}
		if atomic.CompareAndSwapUint64(&clock.last, last, ns) {
			return ns
		}
	}
}

// kvmclockWallNs returns the wall-clock time (ns since the Unix epoch) at
// which kvmclock read 0, from the host; 0 if it gave none.
func kvmclockWallNs() uint64 {
	w := &kvmclockWall
	arch.Wrmsr(msrKVMWallClockNew, uint64(uintptrOf(w)))
	for {
		v := atomic.LoadUint32(&w.version)
		sec, nsec := atomic.LoadUint32(&w.sec), atomic.LoadUint32(&w.nsec)
		if v&1 == 0 && atomic.LoadUint32(&w.version) == v {
			return uint64(sec)*1_000_000_000 + uint64(nsec)
		}
		arch.Pause()
	}
}

// pvclockRead reads the time information at pv (kvmclock_amd64.s): the
// time in ns and the flags, from one consistent version.
func pvclockRead(pv uintptr) (ns uint64, flags uint8)

// ptr converts an address held as uintptr (kernel memory, never the Go
// heap) into a pointer.
func ptr(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}

// uintptrOf returns the address of a kernel global.
func uintptrOf[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }
