package vio

import (
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/arch"
)

// The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2): register
// access, device initialization with feature negotiation, and queue set-up.
// Legacy (version 1) transports are refused: gotoro run starts QEMU with
// virtio-mmio.force-legacy=false.

// MaxDevices is how many virtio-mmio devices the kernel drives.
const MaxDevices = 16

// A Device is one virtio-mmio device found on the command line.
type Device struct {
	idx      int32   // index in devices
	base     uintptr // MMIO window (identity-mapped)
	size     uintptr
	gsi      uint32
	id       uint32 // virtio device ID (virtio.DeviceBlock, …); 0 = none
	features uint64 // negotiated
	polling  bool   // completions are polled, interrupts stay masked
	nq       int
	q        [4]int32 // the device's queues, indexes into queues
}

var (
	devices  [MaxDevices]Device
	ndevices int
)

// Probe result of Add.
const (
	Added  = iota // a modern virtio device, now in the table
	Absent        // no device behind the window, or the table is full
	Legacy        // a version-1 transport, which the core refuses
	Known         // the window was added before (listed twice)
)

// Add probes the virtio-mmio window of size bytes at base, whose
// interrupt line is gsi, and adds the device behind it to the table;
// polling says whether its completions are to be polled rather than
// interrupt-driven. It returns the device (nil unless Added) and what it
// found.
func Add(base, size uintptr, gsi uint32, polling bool) (*Device, int) {
	for i := 0; i < ndevices; i++ {
		if devices[i].base == base {
			return nil, Known
		}
	}
	if ndevices == MaxDevices {
		return nil, Absent
	}
	d := &devices[ndevices]
	*d = Device{idx: int32(ndevices), base: base, size: size, gsi: gsi, polling: polling}
	if r := d.probe(); r != Added {
		return nil, r
	}
	ndevices++
	return d, Added
}

// Count returns how many devices Add added.
func Count() int { return ndevices }

// Dev returns device i (0 ≤ i < Count), the one whose Index is i.
func Dev(i int) *Device { return &devices[i] }

// Index returns d's place in the table: the kernel gives device i the
// interrupt vector of its first device plus i.
func (d *Device) Index() int { return int(d.idx) }

// ID returns d's virtio device ID (virtio.DeviceBlock, …).
func (d *Device) ID() uint32 { return d.id }

// Polling reports whether d's completions are polled.
func (d *Device) Polling() bool { return d.polling }

// SetPolling makes d's completions polled: its interrupt could not be
// routed.
func (d *Device) SetPolling() { d.polling = true }

// NumQueues returns how many queues SetupQueue gave d.
func (d *Device) NumQueues() int { return d.nq }

// Queue returns d's queue k (0 ≤ k < NumQueues), in the order SetupQueue
// created them.
func (d *Device) Queue(k int) *Queue { return &queues[d.q[k]] }

func (d *Device) read(reg uintptr) uint32     { return arch.MMIORead32(d.base + reg) }
func (d *Device) write(reg uintptr, v uint32) { arch.MMIOWrite32(d.base+reg, v) }

// Config8 reads a byte of the device-specific configuration space.
func (d *Device) Config8(off uintptr) uint8 {
	return *(*uint8)(ptr(d.base + virtio.MMIOConfig + off))
}

// Config32 reads a 32-bit field of the configuration space.
func (d *Device) Config32(off uintptr) uint32 { return d.read(virtio.MMIOConfig + off) }

// Config64 reads a 64-bit field as two 32-bit reads, retried until the
// configuration generation is stable (4.2.2.2).
func (d *Device) Config64(off uintptr) uint64 {
	for {
		g := d.read(virtio.MMIOConfigGeneration)
		v := uint64(d.Config32(off)) | uint64(d.Config32(off+4))<<32
		if d.read(virtio.MMIOConfigGeneration) == g {
			return v
		}
	}
}

// SetStatus writes the device status register (0 resets the device,
// virtio.StatusFailed gives it up).
func (d *Device) SetStatus(s uint32) { d.write(virtio.MMIOStatus, s) }

func (d *Device) status() uint32 { return d.read(virtio.MMIOStatus) }

// probe reads the identification registers.
func (d *Device) probe() int {
	if d.read(virtio.MMIOMagic) != virtio.MMIOMagicValue {
		return Absent
	}
	if d.read(virtio.MMIOVersion) != 2 {
		return Legacy
	}
	d.id = d.read(virtio.MMIODeviceID)
	if d.id == 0 {
		return Absent
	}
	return Added
}

// Begin resets the device and negotiates features: the driver accepts
// want (device-specific bits) plus VERSION_1 and, if offered,
// INDIRECT_DESC. It reports false (device marked FAILED) if the device
// refuses.
func (d *Device) Begin(want uint64) bool {
	d.SetStatus(0)
	for d.status() != 0 {
		arch.Pause()
	}
	d.SetStatus(virtio.StatusAcknowledge)
	d.SetStatus(virtio.StatusAcknowledge | virtio.StatusDriver)
	d.write(virtio.MMIODeviceFeaturesSel, 0)
	offered := uint64(d.read(virtio.MMIODeviceFeatures))
	d.write(virtio.MMIODeviceFeaturesSel, 1)
	offered |= uint64(d.read(virtio.MMIODeviceFeatures)) << 32
	if offered&(1<<virtio.FeatureVersion1) == 0 {
		d.SetStatus(virtio.StatusFailed)
		return false
	}
	want |= 1<<virtio.FeatureVersion1 | 1<<virtio.FeatureIndirectDesc
	d.features = offered & want
	d.write(virtio.MMIODriverFeaturesSel, 0)
	d.write(virtio.MMIODriverFeatures, uint32(d.features))
	d.write(virtio.MMIODriverFeaturesSel, 1)
	d.write(virtio.MMIODriverFeatures, uint32(d.features>>32))
	st := uint32(virtio.StatusAcknowledge | virtio.StatusDriver | virtio.StatusFeaturesOK)
	d.SetStatus(st)
	if d.status()&virtio.StatusFeaturesOK == 0 {
		d.SetStatus(virtio.StatusFailed)
		return false
	}
	return true
}

// Has reports whether feature bit f was negotiated.
func (d *Device) Has(f uint) bool { return d.features&(1<<f) != 0 }

// SetupQueue creates queue qidx (at most QueueMaxSize entries) and hands
// it to the device. It returns nil if the device has no such queue or
// memory is short.
func (d *Device) SetupQueue(qidx uint16) *Queue {
	if d.nq == len(d.q) {
		return nil
	}
	d.write(virtio.MMIOQueueSel, uint32(qidx))
	if d.read(virtio.MMIOQueueReady) != 0 {
		return nil
	}
	max := d.read(virtio.MMIOQueueNumMax)
	if max == 0 {
		return nil
	}
	size := uint16(QueueMaxSize)
	for uint32(size) > max {
		size >>= 1
	}
	q := newQueue(d.idx, qidx, size)
	if q == nil {
		return nil
	}
	q.indirect = d.Has(virtio.FeatureIndirectDesc)
	d.write(virtio.MMIOQueueNum, uint32(size))
	d.write(virtio.MMIOQueueDescLow, uint32(q.desc))
	d.write(virtio.MMIOQueueDescHigh, uint32(uint64(q.desc)>>32))
	d.write(virtio.MMIOQueueDriverLow, uint32(q.avail))
	d.write(virtio.MMIOQueueDriverHigh, uint32(uint64(q.avail)>>32))
	d.write(virtio.MMIOQueueDeviceLow, uint32(q.used))
	d.write(virtio.MMIOQueueDeviceHigh, uint32(uint64(q.used)>>32))
	d.write(virtio.MMIOQueueReady, 1)
	d.q[d.nq] = int32(nqueues - 1)
	d.nq++
	return q
}

// Finish sets DRIVER_OK: the device is live. Call it after the queues are
// set up (and, for receive queues, filled).
func (d *Device) Finish() {
	d.SetStatus(virtio.StatusAcknowledge | virtio.StatusDriver | virtio.StatusFeaturesOK | virtio.StatusDriverOK)
}

// Acknowledge reads d's interrupt status and acknowledges it: the first
// step of its interrupt handler.
func (d *Device) Acknowledge() {
	d.write(virtio.MMIOInterruptACK, d.read(virtio.MMIOInterruptStatus))
}
