package virtio

import "github.com/gotoro/gotoro/internal/byteorder"

// virtio-vsock (spec 5.10): stream sockets between a guest and its host.
// The device has three queues; every packet on the rx and tx queues starts
// with a VsockHdr, followed by Len bytes of payload for VsockOpRW.

// Queue indexes of a vsock device.
const (
	VsockQueueRX    = 0 // device → driver packets
	VsockQueueTX    = 1 // driver → device packets
	VsockQueueEvent = 2 // device → driver events (transport reset)
)

// VsockHostCID is the context ID of the host. Guests get 3 and up.
const VsockHostCID = 2

// VsockConfigSize is the size of the device configuration space: one
// little-endian uint64, the guest's CID.
const VsockConfigSize = 8

// VsockFeatureSeqpacket is the feature bit of SOCK_SEQPACKET support.
const VsockFeatureSeqpacket = 1

// VsockTypeStream is the socket type of a stream connection (VsockHdr.Type).
const VsockTypeStream = 1

// Packet operations (VsockHdr.Op).
const (
	VsockOpInvalid       = 0
	VsockOpRequest       = 1 // connect
	VsockOpResponse      = 2 // accept
	VsockOpRST           = 3 // reset: refuse or abort a connection
	VsockOpShutdown      = 4 // Flags say which directions end
	VsockOpRW            = 5 // payload
	VsockOpCreditUpdate  = 6 // BufAlloc/FwdCnt changed
	VsockOpCreditRequest = 7 // ask for a credit update
)

// Shutdown flags (VsockHdr.Flags of VsockOpShutdown), from the sender's
// point of view.
const (
	VsockShutdownRcv  = 1 // the sender will receive no more data
	VsockShutdownSend = 2 // the sender will send no more data
)

// VsockHdrSize is the size of a VsockHdr on the wire.
const VsockHdrSize = 44

// VsockHdr is the header of every vsock packet. On the wire it is packed
// and little-endian; use Encode and DecodeVsockHdr.
//
// Flow control is by credit: each side advertises BufAlloc, the bytes it
// can buffer for the connection, and FwdCnt, the bytes it has consumed so
// far. A sender may have at most BufAlloc - (sent - FwdCnt) bytes in
// flight.
type VsockHdr struct {
	SrcCID   uint64
	DstCID   uint64
	SrcPort  uint32
	DstPort  uint32
	Len      uint32 // payload bytes that follow
	Type     uint16
	Op       uint16
	Flags    uint32
	BufAlloc uint32
	FwdCnt   uint32
}

// Encode writes h into b, which must hold VsockHdrSize bytes.
func (h *VsockHdr) Encode(b []byte) {
	_ = b[VsockHdrSize-1]
	le := byteorder.LittleEndian
	le.PutUint64(b[0:], h.SrcCID)
	le.PutUint64(b[8:], h.DstCID)
	le.PutUint32(b[16:], h.SrcPort)
	le.PutUint32(b[20:], h.DstPort)
	le.PutUint32(b[24:], h.Len)
	le.PutUint16(b[28:], h.Type)
	le.PutUint16(b[30:], h.Op)
	le.PutUint32(b[32:], h.Flags)
	le.PutUint32(b[36:], h.BufAlloc)
	le.PutUint32(b[40:], h.FwdCnt)
}

// DecodeVsockHdr reads a header from b, which must hold VsockHdrSize
// bytes.
func DecodeVsockHdr(b []byte) VsockHdr {
	_ = b[VsockHdrSize-1]
	le := byteorder.LittleEndian
	return VsockHdr{
		SrcCID:   le.Uint64(b[0:]),
		DstCID:   le.Uint64(b[8:]),
		SrcPort:  le.Uint32(b[16:]),
		DstPort:  le.Uint32(b[20:]),
		Len:      le.Uint32(b[24:]),
		Type:     le.Uint16(b[28:]),
		Op:       le.Uint16(b[30:]),
		Flags:    le.Uint32(b[32:]),
		BufAlloc: le.Uint32(b[36:]),
		FwdCnt:   le.Uint32(b[40:]),
	}
}
