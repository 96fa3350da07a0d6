package kernel

// # The guest virtio drivers
//
// The virtio core is package kernel/vio: the version-2 virtio-mmio
// transport (vio.Device: probe, feature negotiation, queue set-up,
// configuration space, interrupt acknowledgement) and split virtqueues
// (vio.Queue: add a chain of segments, kick, wait or poll, reap). It gets
// pages, blocking and waking from the kernel through a vio.Host
// (virtio_host.go), which virtioInit gives it at boot. The drivers stay
// in this package: their devices are files (/dev/vda, /dev/net0, the
// console), mounts (virtio-fs, whose pages file mappings use) and sockets
// (vsock), and they block, wake epoll and reach user memory through the
// kernel. Definitions shared with host backends (register offsets,
// feature bits, ring layout, device configuration) live in
// internal/virtio.
//
// Layers, bottom up:
//
//   - kernel/vio: the transport and the virtqueues.
//   - virtio_devices.go: discovery from virtio_mmio.device=<size>@<base>:<gsi>
//     entries on the command line (vio.Add probes each), the I/O APIC
//     route (GSI → vector vecVirtio+i, apic.Route) or polling mode
//     (virtio_poll=1), the switch that attaches a driver by device ID, and
//     the interrupt handler (acknowledge, EOI, wake the threads waiting on
//     the device's queues; nothing else).
//   - virtio_dma.go: a user (or kernel) buffer as one segment per physical
//     page, so devices move data straight to and from the caller's memory
//     (it walks the page tables and pins pages: memory code, so it stays
//     here).
//
// A driver, step by step (virtio_blk.go is the model):
//
//  1. Add `case virtio.DeviceX: ok = xAttach(d)` to virtioInit.
//  2. In xAttach: d.Begin(wantedFeatureBits) negotiates (VERSION_1 and
//     INDIRECT_DESC are added by the core); q := d.SetupQueue(i) for each
//     queue; fill receive queues (q.Add + q.Kick); then d.Finish().
//  3. A request: build a [N]vio.Seg on the stack — device-readable
//     segments first, then device-writable ones (DevWrites) — check
//     q.Fits(n), then head := q.Add(segs); q.Kick(); n := q.Wait(head).
//     Add waits while the ring is full; Wait sleeps until the device is
//     done (interrupt mode) or yields and re-checks (polling mode), and
//     returns the bytes the device wrote. Both block uninterruptibly: the
//     device owns the buffers until it is done, so signals wait until the
//     request completes. Poll(head) spins instead of sleeping, for
//     contexts that must not switch threads (the console).
//  4. Memory for headers and small replies comes from mm.Alloc pages
//     (physical == kernel virtual in the identity map); user buffers go
//     through dmaSegs after userRange checked them.
//  5. Receive queues that complete without a waiting thread (input, vsock
//     packets) need a hook in virtioInterrupt to make their files ready
//     (fileChanged/epoll); keep it to flagging and waking, and process the
//     data in the system call that consumes it (q.NextUsed takes their
//     chains in order).
//
// Concurrency: drivers are written as single-threaded kernel code. Every
// wait is a loop that re-checks its condition after waking (a wake-up only
// means "look again"); the interrupt handler touches only the device's
// interrupt registers and the scheduler's wait keys; per-request state
// (done flags, used lengths, descriptor ownership) is kept per head and
// freed by the request's owner, so another thread reaping the ring on its
// behalf is harmless. Under a kernel lock that is dropped while a thread
// blocks, this stays correct.
