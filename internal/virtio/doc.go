// Package virtio holds the virtio definitions (Virtio 1.2 specification)
// shared by gotoro's guest drivers and its host device backends: device
// status and feature bits, device IDs, the split-virtqueue layout and the
// virtio-mmio register map. It has no behaviour and allocates nothing, so
// the guest kernel can import it.
package virtio
