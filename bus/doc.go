// Package bus is VirtIOBus: lock-free messages between cores.
//
// A Bus of n endpoints holds an n×n matrix of rings; ring (s, d) carries
// messages from endpoint s to endpoint d and has exactly one producer (s)
// and one consumer (d). Each ring is a split virtqueue in one block of
// memory: a descriptor table, an available ring (sender → receiver) and a
// used ring (receiver → sender), followed by one fixed buffer ("slot") per
// descriptor. The sender is the virtio driver, the receiver the device.
//
// Memory ordering. The only shared words written concurrently are the two
// ring headers (flags and index, one 32-bit word each, in the virtio byte
// layout), and they are written with sync/atomic stores and read with
// sync/atomic loads. Everything else — descriptors, ring entries, slot
// bytes — is written by one side before it publishes an index with an
// atomic store, and read by the other side after it has loaded that index
// with an atomic load; the Go memory model makes the store synchronize
// with the load, so those plain accesses are ordered (and -race agrees).
// There are no locks and no read-modify-write atomics on the fast path.
//
// Messages of any size are delivered whole. A message starts with an
// 8-byte frame header (its length) in its first slot; a message that fits
// in the free descriptors goes as one descriptor chain, a longer one as a
// sequence of chains that the sender publishes as the receiver returns
// descriptors, so a 1 MiB message streams through a 64 KiB ring. A
// receive buffer that is too small is an error that leaves the message
// queued; Probe tells the size first.
//
// Waiting. A receiver polls the available index with PAUSE a bounded
// number of times, then uses gotoro's polling hint (PollPrepare, re-check,
// PollWait) so that an idle core can halt; a sender calls gotoro.Wake on
// the receiver's core after every publish. A sender that waits for free
// descriptors clears AvailNoInterrupt in the available ring's flags — the
// virtio way to ask for a notification — and the receiver wakes it after
// returning descriptors.
//
// Endpoint i is served by core i % gotoro.Cores(): the thread using it
// must be pinned there (gotoro.Go, gotoro.Pin) for wake-ups to reach it
// promptly; an unpinned one still works, woken by a short timeout. Each
// endpoint's sending side and receiving side may each be used by one
// goroutine at a time.
package bus
