//go:build linux && amd64

package tsc

import (
	"encoding/binary"
	"math/bits"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Offsets in struct perf_event_mmap_page (include/uapi/linux/perf_event.h).
const (
	perfPageCaps      = 40 // u64 capabilities
	perfPageTimeShift = 50 // u16 time_shift
	perfPageTimeMult  = 52 // u32 time_mult
	perfCapUserTime   = 1 << 3
)

// kernelHz returns the TSC rate the Linux kernel calibrated at boot, from
// the conversion it publishes to user space in a perf event's mapped page
// (ns = cycles × time_mult >> time_shift): no waiting, and the kernel's
// own precision. It reports false when that is not available: perf events
// refused (perf_event_paranoid, seccomp) or a clock source other than the
// TSC (then the page has no time conversion).
func kernelHz() (uint64, bool) {
	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_SOFTWARE,
		Config: unix.PERF_COUNT_SW_DUMMY,
		Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Bits:   unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv,
	}
	fd, err := unix.PerfEventOpen(&attr, 0, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return 0, false
	}
	defer unix.Close(fd)
	page, err := unix.Mmap(fd, 0, unix.Getpagesize(), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, false
	}
	defer unix.Munmap(page)
	return hzFromPerfPage(page)
}

// hzFromPerfPage computes the TSC rate from a perf_event_mmap_page.
func hzFromPerfPage(page []byte) (uint64, bool) {
	if len(page) < perfPageTimeMult+4 {
		return 0, false
	}
	caps := binary.LittleEndian.Uint64(page[perfPageCaps:])
	shift := binary.LittleEndian.Uint16(page[perfPageTimeShift:])
	mult := binary.LittleEndian.Uint32(page[perfPageTimeMult:])
	if caps&perfCapUserTime == 0 || mult == 0 || shift > 63 {
		return 0, false
	}
	// hz = 1e9 × 2^shift / mult, rounded, in 128-bit arithmetic.
	hi, lo := bits.Mul64(1_000_000_000, 1<<shift)
	lo, carry := bits.Add64(lo, uint64(mult)/2, 0)
	hi += carry
	if hi >= uint64(mult) {
		return 0, false // the quotient would not fit: not a real rate
	}
	q, _ := bits.Div64(hi, lo, uint64(mult))
	if q < minHz || q > maxHz {
		return 0, false
	}
	return q, true
}
