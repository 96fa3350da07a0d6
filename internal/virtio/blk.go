package virtio

// virtio-blk (spec 5.2).

// Block device feature bits.
const (
	BlkFSizeMax  = 1
	BlkFSegMax   = 2
	BlkFRO       = 5
	BlkFBlkSize  = 6
	BlkFFlush    = 9
	BlkFTopology = 10
)

// Block device configuration space offsets.
const (
	BlkCfgCapacity = 0  // uint64, in 512-byte sectors
	BlkCfgSizeMax  = 8  // uint32
	BlkCfgSegMax   = 12 // uint32
	BlkCfgBlkSize  = 20 // uint32
)

// BlkSectorSize is the unit of BlkCfgCapacity and of request sectors,
// whatever the device's block size.
const BlkSectorSize = 512

// Request types.
const (
	BlkTIn    = 0
	BlkTOut   = 1
	BlkTFlush = 4
	BlkTGetID = 8
)

// Request status, the last byte of every request.
const (
	BlkSOK     = 0
	BlkSIOErr  = 1
	BlkSUnsupp = 2
)

// BlkReqHeaderSize is the size of the request header: type uint32,
// reserved uint32, sector uint64.
const BlkReqHeaderSize = 16
