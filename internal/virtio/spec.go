package virtio

// Device status bits (spec 2.1).
const (
	StatusAcknowledge      = 1
	StatusDriver           = 2
	StatusDriverOK         = 4
	StatusFeaturesOK       = 8
	StatusDeviceNeedsReset = 64
	StatusFailed           = 128
)

// Device-independent feature bits (spec 6).
const (
	FeatureIndirectDesc   = 28
	FeatureEventIdx       = 29
	FeatureVersion1       = 32
	FeatureAccessPlatform = 33
)

// Device IDs (spec 5).
const (
	DeviceNet     = 1
	DeviceBlock   = 2
	DeviceConsole = 3
	DeviceEntropy = 4
	DeviceVsock   = 19
	DeviceFS      = 26
)
