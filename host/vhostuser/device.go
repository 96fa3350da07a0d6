package vhostuser

// Device is the logic of one virtio device served over vhost-user.
type Device interface {
	// Features returns the device-specific feature bits (VERSION_1 and
	// the vhost-user protocol bit are added by the backend).
	Features() uint64
	// Config returns the device configuration space.
	Config() []byte
	// NumQueues returns how many virtqueues the backend serves.
	NumQueues() int
	// Start begins serving the queues once all of them are set up. The
	// queues and their memory stay valid until Stop returns.
	Start(queues []*Queue)
	// Stop ends serving the queues; when it returns the device no longer
	// touches them or guest memory. It is only called after Start.
	Stop()
}
