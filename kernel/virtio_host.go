package kernel

import (
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// The kernel's side of the virtio core (package vio): pages, blocking
// and waking, and the stop, given to it as a vio.Host by virtioInit at
// boot. A zero-size type, so the interface value is static data and a
// call through it is one indirect call (docs/kernel.md, "Packages of the
// kernel").

// threadsRunning is set once the first thread runs; before, requests are
// polled.
var threadsRunning bool

type virtioHost struct{}

// theVirtioHost is the interface value virtioInit hands to vio.SetHost,
// laid out by the compiler as static data (a conversion at run time
// would count as an escape to the heap).
var theVirtioHost vio.Host = virtioHost{}

func (virtioHost) Page() uintptr    { return mm.Alloc() }
func (virtioHost) CanBlock() bool   { return threadsRunning }
func (virtioHost) Wake(key uintptr) { wakeKey(key) }
func (virtioHost) Yield()           { yield() }
func (virtioHost) Stop(msg string)  { kpanic(msg) }

// Block sleeps on key with every signal held off: the device owns the
// request's buffers until it is done, so signals wait until the request
// completes.
func (virtioHost) Block(key uintptr) {
	t := curThread()
	mask := t.sigmask
	t.sigmask = ^uint64(0)
	waitOn(key, 0)
	t.sigmask = mask
}
