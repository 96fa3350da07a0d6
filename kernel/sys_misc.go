package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/mm"
)

// Time, randomness, identity and limits.

const (
	clockRealtime        = 0
	clockMonotonic       = 1
	clockProcessCPUTime  = 2
	clockThreadCPUTime   = 3
	clockMonotonicRaw    = 4
	clockRealtimeCoarse  = 5
	clockMonotonicCoarse = 6
	clockBoottime        = 7
)

// clockNow returns the time on clock clk in ns, or false for an unknown clock.
func clockNow(clk int32) (int64, bool) {
	switch clk {
	case clockRealtime, clockRealtimeCoarse:
		return ktime.EpochNs() + ktime.Now(), true
	case clockMonotonic, clockMonotonicRaw, clockMonotonicCoarse, clockBoottime:
		return ktime.Now(), true
	case clockProcessCPUTime:
		return processCPUTime(), true
	case clockThreadCPUTime:
		return threadCPUTime(curThread()), true
	}
	return 0, false
}

func writeTimespec(p uintptr, ns int64) int64 {
	b, ok := userBytes(p, 16, true)
	if !ok {
		return -EFAULT
	}
	*(*timespec)(unsafe.Pointer(&b[0])) = timespec{ns / 1e9, ns % 1e9}
	return 0
}

func sysClockGettime(clk, tp, _, _, _, _ uintptr) int64 {
	ns, ok := clockNow(int32(clk))
	if !ok {
		return -EINVAL
	}
	return writeTimespec(tp, ns)
}

func sysClockGetres(clk, tp, _, _, _, _ uintptr) int64 {
	if _, ok := clockNow(int32(clk)); !ok {
		return -EINVAL
	}
	if tp == 0 {
		return 0
	}
	return writeTimespec(tp, 1)
}

func sysGettimeofday(tv, _, _, _, _, _ uintptr) int64 {
	if tv == 0 {
		return 0
	}
	b, ok := userBytes(tv, 16, true)
	if !ok {
		return -EFAULT
	}
	ns := ktime.EpochNs() + ktime.Now()
	*(*[2]int64)(unsafe.Pointer(&b[0])) = [2]int64{ns / 1e9, ns % 1e9 / 1e3}
	return 0
}

func sysTime(tp, _, _, _, _, _ uintptr) int64 {
	s := (ktime.EpochNs() + ktime.Now()) / 1e9
	if tp != 0 {
		b, ok := userBytes(tp, 8, true)
		if !ok {
			return -EFAULT
		}
		*(*int64)(unsafe.Pointer(&b[0])) = s
	}
	return s
}

var rng struct {
	hw    bool
	state uint64
}

//go:nosplit
func randomInit() {
	rng.hw = arch.Features1()&(1<<30) != 0
	rng.state = arch.Rdtsc() ^ 0x9E3779B97F4A7C15
}

// random64 returns 64 random bits: RDRAND when the CPU has it, otherwise a
// TSC-seeded xorshift (not cryptographic; said so at boot).
//
//go:nosplit
func random64() uint64 {
	if rng.hw {
		if v, ok := arch.Rdrand(); ok {
			return v
		}
	}
	rng.state ^= rng.state << 13
	rng.state ^= rng.state >> 7
	rng.state ^= rng.state << 17
	return rng.state ^ arch.Rdtsc()
}

func sysGetrandom(buf, n, flags, _, _, _ uintptr) int64 {
	if uint32(flags)&^7 != 0 {
		return -EINVAL
	}
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	fillRandom(b)
	return int64(n)
}

// fillRandom fills b with random bytes.
func fillRandom(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := random64()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}

func sysUname(p, _, _, _, _, _ uintptr) int64 {
	b, ok := userBytes(p, 6*65, true)
	if !ok {
		return -EFAULT
	}
	clear(b)
	fields := [6]string{"Linux", "gotoro", "6.1.0-gotoro", "#1 SMP gotoro", "x86_64", "(none)"}
	for i, s := range fields {
		copy(b[i*65:i*65+64], s)
	}
	return 0
}

const (
	rlimitStack  = 3
	rlimitNofile = 7
	rlimInfinity = ^uint64(0)
)

// rlimits are the resource limits (soft, hard) getrlimit and prlimit64
// report: unlimited but for the stack's and the descriptors'. The table
// is static data, set by the linker rather than by a loop at boot.
var rlimits = [16][2]uint64{
	{rlimInfinity, rlimInfinity}, {rlimInfinity, rlimInfinity},
	{rlimInfinity, rlimInfinity},
	rlimitStack: {userStackSize, rlimInfinity},
	{rlimInfinity, rlimInfinity}, {rlimInfinity, rlimInfinity},
	{rlimInfinity, rlimInfinity},
	rlimitNofile: {maxFDs, maxFDs},
	{rlimInfinity, rlimInfinity}, {rlimInfinity, rlimInfinity},
	{rlimInfinity, rlimInfinity}, {rlimInfinity, rlimInfinity},
	{rlimInfinity, rlimInfinity}, {rlimInfinity, rlimInfinity},
	{rlimInfinity, rlimInfinity}, {rlimInfinity, rlimInfinity},
}

//go:nosplit
func sysPrlimit64(pid, res, newp, oldp, _, _ uintptr) int64 {
	return prlimit(int32(pid), int32(res), newp, oldp)
}

func sysGetrlimit(res, oldp, _, _, _, _ uintptr) int64 { return prlimit(0, int32(res), 0, oldp) }

func sysSetrlimit(res, newp, _, _, _, _ uintptr) int64 { return prlimit(0, int32(res), newp, 0) }

//go:nosplit
func prlimit(pid, res int32, newp, oldp uintptr) int64 {
	if res < 0 || int(res) >= len(rlimits) {
		return -EINVAL
	}
	if pid != 0 && pid != 1 {
		return -ESRCH
	}
	if oldp != 0 {
		b, ok := userBytes(oldp, 16, true)
		if !ok {
			return -EFAULT
		}
		*(*[2]uint64)(unsafe.Pointer(&b[0])) = rlimits[res]
	}
	if newp != 0 {
		b, ok := userBytes(newp, 16, false)
		if !ok {
			return -EFAULT
		}
		v := *(*[2]uint64)(unsafe.Pointer(&b[0]))
		if v[0] > v[1] {
			return -EINVAL
		}
		if v[1] > rlimits[res][1] {
			return -EPERM
		}
		rlimits[res] = v
	}
	return 0
}

// Who getrusage reports on.
const (
	rusageSelf     = 0
	rusageChildren = -1
	rusageThread   = 1
)

// sysGetrusage reports the CPU time the process (or the calling thread)
// has run as user time; there are no children. The kernel does not tell
// user from system time.
func sysGetrusage(who, p, _, _, _, _ uintptr) int64 {
	var ns int64
	switch int32(who) {
	case rusageSelf:
		ns = processCPUTime()
	case rusageThread:
		ns = threadCPUTime(curThread())
	case rusageChildren:
	default:
		return -EINVAL
	}
	b, ok := userBytes(p, 144, true)
	if !ok {
		return -EFAULT
	}
	clear(b)
	*(*[2]int64)(unsafe.Pointer(&b[0])) = [2]int64{ns / 1e9, ns % 1e9 / 1e3}
	return 0
}

func sysSysinfo(p, _, _, _, _, _ uintptr) int64 {
	b, ok := userBytes(p, 112, true)
	if !ok {
		return -EFAULT
	}
	clear(b)
	w := (*[14]uint64)(unsafe.Pointer(&b[0]))
	w[0] = uint64(ktime.Now() / 1e9)                      // uptime
	w[4] = mm.TotalPages() * pageSize                     // totalram
	w[5] = mm.FreePages() * pageSize                      // freeram
	*(*uint16)(unsafe.Pointer(&b[80])) = uint16(nthreads) // procs
	*(*uint32)(unsafe.Pointer(&b[104])) = 1               // mem_unit
	return 0
}
