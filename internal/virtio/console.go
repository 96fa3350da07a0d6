package virtio

// virtio-console (spec 5.3). Without VIRTIO_CONSOLE_F_MULTIPORT the device
// has one port: queue 0 receives, queue 1 transmits.
const (
	ConsoleReceiveQ  = 0
	ConsoleTransmitQ = 1
)
