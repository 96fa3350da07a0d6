package vhostuser

import (
	"encoding/binary"
	"fmt"
)

// Request codes of the vhost-user protocol (frontend → backend).
const (
	reqGetFeatures         = 1
	reqSetFeatures         = 2
	reqSetOwner            = 3
	reqResetOwner          = 4
	reqSetMemTable         = 5
	reqSetVringNum         = 8
	reqSetVringAddr        = 9
	reqSetVringBase        = 10
	reqGetVringBase        = 11
	reqSetVringKick        = 12
	reqSetVringCall        = 13
	reqSetVringErr         = 14
	reqGetProtocolFeatures = 15
	reqSetProtocolFeatures = 16
	reqGetQueueNum         = 17
	reqSetVringEnable      = 18
	reqGetConfig           = 24
	reqSetConfig           = 25
)

// Header flags.
const (
	flagVersion   = 0x1 // protocol version 1, in bits 0-1
	flagReply     = 0x4
	flagNeedReply = 0x8
)

// headerSize is the size of a message header: request, flags, size.
const headerSize = 12

// maxPayload bounds a message's payload; the largest real one is a memory
// table of 8 regions.
const maxPayload = 4096

// maxConfigSize bounds GET_CONFIG: a virtio device's config space is at
// most 256 bytes (VHOST_USER_MAX_CONFIG_SIZE).
const maxConfigSize = 256

// maxFDs is the most file descriptors a message carries.
const maxFDs = 8

// FeatureProtocolFeatures is the virtio feature bit by which a backend says
// it speaks the protocol-feature extension.
const FeatureProtocolFeatures = 30

// Protocol feature bits.
const (
	protoReplyAck = 3
	protoConfig   = 9
)

// offeredProtocol are the protocol features this backend supports.
const offeredProtocol = 1<<protoReplyAck | 1<<protoConfig

// vringNoFD in a kick/call/err message means no descriptor was passed.
const vringNoFD = 1 << 8

// header is a message header.
type header struct {
	Request uint32
	Flags   uint32
	Size    uint32
}

func (h header) encode(b []byte) {
	binary.LittleEndian.PutUint32(b[0:], h.Request)
	binary.LittleEndian.PutUint32(b[4:], h.Flags)
	binary.LittleEndian.PutUint32(b[8:], h.Size)
}

func decodeHeader(b []byte) header {
	return header{
		Request: binary.LittleEndian.Uint32(b[0:]),
		Flags:   binary.LittleEndian.Uint32(b[4:]),
		Size:    binary.LittleEndian.Uint32(b[8:]),
	}
}

// requestName names a request for error messages.
func requestName(r uint32) string {
	names := map[uint32]string{
		reqGetFeatures: "GET_FEATURES", reqSetFeatures: "SET_FEATURES",
		reqSetOwner: "SET_OWNER", reqResetOwner: "RESET_OWNER",
		reqSetMemTable: "SET_MEM_TABLE", reqSetVringNum: "SET_VRING_NUM",
		reqSetVringAddr: "SET_VRING_ADDR", reqSetVringBase: "SET_VRING_BASE",
		reqGetVringBase: "GET_VRING_BASE", reqSetVringKick: "SET_VRING_KICK",
		reqSetVringCall: "SET_VRING_CALL", reqSetVringErr: "SET_VRING_ERR",
		reqGetProtocolFeatures: "GET_PROTOCOL_FEATURES", reqSetProtocolFeatures: "SET_PROTOCOL_FEATURES",
		reqGetQueueNum: "GET_QUEUE_NUM", reqSetVringEnable: "SET_VRING_ENABLE",
		reqGetConfig: "GET_CONFIG", reqSetConfig: "SET_CONFIG",
	}
	if n, ok := names[r]; ok {
		return n
	}
	return fmt.Sprintf("request %d", r)
}

// payload is a little-endian reader over a message payload that records
// the first short read.
type payload struct {
	b   []byte
	err error
}

func (p *payload) u32() uint32 {
	if len(p.b) < 4 {
		p.err = fmt.Errorf("payload too short")
		return 0
	}
	v := binary.LittleEndian.Uint32(p.b)
	p.b = p.b[4:]
	return v
}

func (p *payload) u64() uint64 {
	if len(p.b) < 8 {
		p.err = fmt.Errorf("payload too short")
		return 0
	}
	v := binary.LittleEndian.Uint64(p.b)
	p.b = p.b[8:]
	return v
}
