package virtio

// Register offsets of the virtio-mmio transport, version 2 ("modern",
// spec 4.2.2). All registers are 32 bits wide and little-endian.
const (
	MMIOMagic             = 0x000 // "virt"
	MMIOVersion           = 0x004 // 2
	MMIODeviceID          = 0x008
	MMIOVendorID          = 0x00c
	MMIODeviceFeatures    = 0x010
	MMIODeviceFeaturesSel = 0x014
	MMIODriverFeatures    = 0x020
	MMIODriverFeaturesSel = 0x024
	MMIOQueueSel          = 0x030
	MMIOQueueNumMax       = 0x034
	MMIOQueueNum          = 0x038
	MMIOQueueReady        = 0x044
	MMIOQueueNotify       = 0x050
	MMIOInterruptStatus   = 0x060
	MMIOInterruptACK      = 0x064
	MMIOStatus            = 0x070
	MMIOQueueDescLow      = 0x080
	MMIOQueueDescHigh     = 0x084
	MMIOQueueDriverLow    = 0x090 // available ring
	MMIOQueueDriverHigh   = 0x094
	MMIOQueueDeviceLow    = 0x0a0 // used ring
	MMIOQueueDeviceHigh   = 0x0a4
	MMIOShmSel            = 0x0ac
	MMIOShmLenLow         = 0x0b0
	MMIOShmLenHigh        = 0x0b4
	MMIOShmBaseLow        = 0x0b8
	MMIOShmBaseHigh       = 0x0bc
	MMIOConfigGeneration  = 0x0fc
	MMIOConfig            = 0x100 // device-specific configuration space
)

// MMIOMagicValue is the value of the MMIOMagic register: "virt".
const MMIOMagicValue = 0x74726976

// Interrupt status bits.
const (
	InterruptUsedBuffer   = 1
	InterruptConfigChange = 2
)
