package kernel

import "github.com/gotoro/gotoro/internal/virtio"

// vsTrace prints, with -ktrace, a vsock event that ends or damages a
// connection (a reset sent or received, data or a reply dropped) with
// the packet that caused it, so that a connection that ended early can
// be told apart from one that ended as the program asked.
func vsTrace(what string, h *virtio.VsockHdr) {
	if !ktrace {
		return
	}
	kprint("vsock: ")
	kprint(what)
	kprint(": op ")
	kprintDec(uint64(h.Op))
	kprint(", port ")
	kprintDec(uint64(h.SrcPort))
	kprint(" -> ")
	kprintDec(uint64(h.DstPort))
	kprint(", ")
	kprintDec(uint64(h.Len))
	kprint(" bytes\n")
}
