// Package bus is VirtIOBus: lock-free messages between cores.
//
// A Bus of n endpoints holds an n×n matrix of rings (none from an endpoint
// to itself); ring (s, d) carries messages from endpoint s to endpoint d
// and has exactly one producer (s) and one consumer (d). Each ring is a
// split virtqueue in one block of memory — descriptor table, available
// ring (sender → receiver), used ring (receiver → sender), each on its own
// cache lines — followed by one fixed buffer ("slot") per descriptor. The
// sender plays the virtio driver, the receiver the device. Descriptor
// Addr fields are offsets into the block; descriptors are used in ring
// order, so the next chain always starts where the last one ended.
//
// A message is one descriptor chain, or for one longer than the free
// descriptors, a sequence of chains that the sender publishes as the
// receiver returns descriptors: a 1 MiB message streams through a 64 KiB
// ring. Every slot starts with an 8-byte header word: in a message's first
// slot, the message length and its sequence number; zero in other slots.
// Messages are delivered whole, oldest first; a receive buffer that is too
// small is an error that leaves the message queued (Probe and Peek tell
// the size first).
//
// Memory ordering. The sender writes the slots and descriptors and the
// available ring entry with plain stores, then publishes with atomic
// stores: the first slot's header word, then the available index. The
// receiver polls the header word of the slot where the next message must
// start (its doorbell) with an atomic load; seeing the next sequence
// number there, it reads the slots — and for chains of more than one
// slot, the descriptors — with plain loads, then returns the chain with a
// plain store of the used entry and an atomic store of the used index,
// which the sender loads before it reuses the descriptors. Go's atomic
// stores synchronize with the atomic loads that observe them, so every
// plain access is ordered after the write it reads (and -race agrees).
// There are no locks and no read-modify-write atomics. Zero headers in
// non-first slots keep stale payload from ever ringing the doorbell, and
// sequence numbers never repeat within a lap of the ring.
//
// Why a doorbell in the slot: a one-slot message then costs the receiver
// one cache-line transfer (header and data share the line) instead of
// three dependent ones (available index, descriptor, slot). The available
// ring stays exact, and it is what the receiver waits on for the second
// and later chains of a long message.
//
// Waiting. A waiting endpoint polls with PAUSE a bounded number of times,
// then uses gotoro's polling hint (PollPrepare, re-check, PollWait) so an
// idle core can halt. Virtio notifications are off both ways
// (AvailNoInterrupt, UsedNoNotify): instead the sender calls gotoro.Wake
// on the receiver's core after each publish, and the receiver on the
// sender's core after each return of descriptors; Wake costs one load
// when nobody there waits.
//
// Endpoint i is served by core i % gotoro.Cores(): the thread using it
// must be pinned there (gotoro.Go, gotoro.Pin) for wake-ups to reach it
// promptly; an unpinned one still works, woken by a short timeout. Each
// endpoint's sending side and receiving side may each be used by one
// goroutine at a time.
package bus
