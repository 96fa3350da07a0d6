package kernel

// # The guest virtio core
//
// Virtio drivers are kernel code in this package (files virtio_*.go), not a
// subpackage: they need the kernel's physical allocator, its scheduler
// (waitOn/wakeKey), its unsafe helpers and its no-allocation rule, which
// TestNoHeapAllocation checks for this package as a whole. A subpackage
// would need all of those exported through hooks, for nothing in return.
// Definitions shared with host backends (register offsets, feature bits,
// ring layout, device configuration) live in internal/virtio.
//
// Layers, bottom up:
//
//   - virtio_devices.go: discovery from virtio_mmio.device=<size>@<base>:<gsi>
//     entries on the command line, the I/O APIC route (GSI → vector
//     vecVirtio+i, apic.Route) or polling mode (virtio_poll=1), the switch
//     that attaches a driver by device ID, and the interrupt handler
//     (acknowledge, EOI, wake the threads waiting on the device's queues;
//     nothing else).
//   - virtio_mmio.go: the version-2 MMIO transport (vdev): begin (reset,
//     feature negotiation), setupQueue, finish (DRIVER_OK), config space.
//   - virtio_queue.go: split virtqueues (virtq): add a chain of segments,
//     kick, wait for it (or poll it), reap the used ring.
//   - virtio_dma.go: a user (or kernel) buffer as one segment per physical
//     page, so devices move data straight to and from the caller's memory.
//
// A driver, step by step (virtio_blk.go is the model):
//
//  1. Add `case virtio.DeviceX: ok = xAttach(d)` to virtioInit.
//  2. In xAttach: d.begin(wantedFeatureBits) negotiates (VERSION_1 and
//     INDIRECT_DESC are added by the core); q := d.setupQueue(i) for each
//     queue; fill receive queues (q.add + q.kick); then d.finish().
//  3. A request: build a [N]vseg on the stack — device-readable segments
//     first, then device-writable ones (devWrites) — check q.fits(n), then
//     head := q.add(segs); q.kick(); n := q.wait(head). add waits while the
//     ring is full; wait sleeps until the device is done (interrupt mode)
//     or yields and re-checks (polling mode), and returns the bytes the
//     device wrote. Both block uninterruptibly: the device owns the buffers
//     until it is done, so signals wait until the request completes.
//     poll(head) spins instead of sleeping, for contexts that must not
//     switch threads (the console).
//  4. Memory for headers and small replies comes from physAlloc pages
//     (physical == kernel virtual in the identity map); user buffers go
//     through dmaSegs after userRange checked them.
//  5. Receive queues that complete without a waiting thread (input, vsock
//     packets) need a hook in virtioInterrupt to make their files ready
//     (fileChanged/epoll); keep it to flagging and waking, and process the
//     data in the system call that consumes it.
//
// Concurrency: drivers are written as single-threaded kernel code. Every
// wait is a loop that re-checks its condition after waking (a wake-up only
// means "look again"); the interrupt handler touches only the device's
// interrupt registers and the scheduler's wait keys; per-request state
// (done flags, used lengths, descriptor ownership) is kept per head and
// freed by the request's owner, so another thread reaping the ring on its
// behalf is harmless. Under a kernel lock that is dropped while a thread
// blocks, this stays correct.
