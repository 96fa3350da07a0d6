// Package vio is the gotoro kernel's virtio core: the version-2
// virtio-mmio transport (device discovery by probe, feature negotiation,
// queue set-up, configuration space, interrupt acknowledgement) and split
// virtqueues (add a chain of segments, kick, wait for it or poll it, reap
// the used ring). The drivers (block, console, virtio-fs, vsock, net)
// stay in package kernel: their devices are files, sockets and mounts.
// Definitions shared with host backends (register offsets, feature bits,
// ring layout) live in internal/virtio.
//
// The core needs three things from the kernel above it: pages of
// physical memory (physical == kernel virtual in the identity map), a way
// to block the calling thread until a queue's device interrupts (and to
// wake the threads blocked on a queue), and a stop for the one error it
// cannot return. The kernel gives them as a Host (SetHost, once, at boot
// before the Go runtime starts). Like all of the kernel the package
// allocates nothing, stores no Go pointers in its state except that hook
// and has no package initialisation.
//
// Concurrency: the core is written as single-threaded kernel code, run
// under the kernel's big lock, which the kernel drops while a thread
// blocks. Every wait is a loop that re-checks its condition after waking
// (a wake-up only means "look again"); per-request state (done flags,
// used lengths, descriptor ownership) is kept per head and freed by the
// request's owner, so another thread reaping the ring on its behalf is
// harmless.
package vio

import "unsafe"

// A Host is what the kernel provides to the virtio core. Its methods take
// and return integers only, so a call through the interface moves nothing
// to the heap.
type Host interface {
	// Page returns a zeroed, identity-mapped page, or 0 when memory is
	// exhausted.
	Page() uintptr
	// CanBlock reports whether threads run (before the first one, at
	// boot, requests are polled).
	CanBlock() bool
	// Block puts the calling thread to sleep until Wake(key), with
	// signals held off: the device owns the request's buffers until it
	// is done.
	Block(key uintptr)
	// Wake makes the threads blocked on key runnable.
	Wake(key uintptr)
	// Yield lets other threads run once (polling mode).
	Yield()
	// Stop stops the machine with msg.
	Stop(msg string)
}

var host Host

// SetHost sets the kernel's side of the core. The kernel calls it once,
// at boot, before the Go runtime starts (it stores the interface value
// without a write barrier being active), and before any other function
// of the package.
//
//go:noinline
//go:nosplit
func SetHost(h Host) { host = h }

// ptr converts an address held as uintptr (identity-mapped memory or
// MMIO, never the Go heap) into a pointer.
func ptr(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}
