// Package vhostuser serves virtio devices to QEMU over the vhost-user
// protocol: QEMU (the frontend) connects to a Unix socket, shares the
// guest's memory as memfd file descriptors, and hands over each
// virtqueue's addresses and a pair of eventfds (kick: the guest added
// buffers; call: interrupt the guest). The device logic (see Device) then
// runs in this process, reading and writing guest memory directly.
//
// Only split virtqueues without event-index or indirect descriptors are
// offered, which keeps the ring code small; that is all QEMU needs.
package vhostuser
