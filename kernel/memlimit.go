package kernel

import "unsafe"

// The program's default soft memory limit. The Go runtime does not know
// how much RAM the guest has; the kernel does. Without a limit the
// runtime keeps every page it ever touched and returns freed pages only
// at the background scavenger's slow pace, so a heap that briefly
// overshoots its goal — a mark phase stretched by vCPUs the host does not
// run, while every core allocates on (docs/kvm.md, "GC under a loaded
// host") — exhausts the guest although the live heap is a small fraction
// of it. With GOMEMLIMIT set the runtime sets heap goals below the limit
// and scavenges freed pages back to the kernel (madvise(MADV_DONTNEED)
// frees them, vm.go) as soon as its mapped memory passes the limit.
//
// The limit is the free RAM at the program's start less an eighth, kept
// for what the kernel allocates on the program's behalf (page tables,
// pipe, socket and tmpfs pages, device buffers). A GOMEMLIMIT given by
// the user (gotoro run -e GOMEMLIMIT=…, "off" for none) wins.

const memLimitKey = "GOMEMLIMIT="

// memLimitBuf holds the GOMEMLIMIT=… string of the initial environment:
// the key is static data, memLimitEnv writes the rest after it.
var memLimitBuf = [len(memLimitKey) + 24]byte{'G', 'O', 'M', 'E', 'M', 'L', 'I', 'M', 'I', 'T', '='}

// memLimitMiB is the default limit, in MiB, for a program that starts
// with free pages of RAM free: seven eighths of it, at least 1 MiB.
func memLimitMiB(free uint64) uint64 {
	mib := (free - free/8) * pageSize >> 20
	if mib == 0 {
		mib = 1
	}
	return mib
}

// memLimitEnv writes <mib>MiB after the key buf starts with (a copy of
// memLimitBuf) and returns buf's GOMEMLIMIT=<mib>MiB. The digits go in
// place, counted first, with neither copies nor bounds checks (20 digits
// at most: the string fits buf), which under QEMU's TCG would be calls
// and branches to translate at boot.
//
//go:nosplit
func memLimitEnv(buf *[len(memLimitBuf)]byte, mib uint64) string {
	end := uintptr(len(memLimitKey) + 1) // after the last digit
	for v := mib; v >= 10; v /= 10 {
		end++
	}
	p := uintptr(unsafe.Pointer(buf))
	v := mib
	for i := end - 1; i >= uintptr(len(memLimitKey)); i-- {
		*(*byte)(ptr(p + i)) = byte('0' + v%10)
		v /= 10
	}
	*(*[3]byte)(ptr(p + end)) = [3]byte{'M', 'i', 'B'}
	return unsafeString(unsafeSlice(p, end+3))
}
