package kernel

import (
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/arch"
)

// The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2): register
// access, device initialization with feature negotiation, and queue set-up.
// Legacy (version 1) transports are refused: gotoro run starts QEMU with
// virtio-mmio.force-legacy=false.

const maxVirtioDevices = 16

// vdev is one virtio-mmio device found on the command line.
type vdev struct {
	idx      int32   // index in vdevs
	base     uintptr // MMIO window (identity-mapped)
	size     uintptr
	gsi      uint32
	id       uint32 // virtio device ID (virtio.DeviceBlock, …); 0 = none
	features uint64 // negotiated
	polling  bool   // completions are polled, interrupts stay masked
	nq       int
	q        [4]int32 // the device's queues, indexes into vqs
	unit     int      // the driver's own index (vda, vdb…)
}

var (
	vdevs  [maxVirtioDevices]vdev
	nvdevs int
)

//go:noinline
func mmioRead(base uintptr, reg uintptr) uint32 { return *(*uint32)(ptr(base + reg)) }

//go:noinline
func mmioWrite(base uintptr, reg uintptr, v uint32) { *(*uint32)(ptr(base + reg)) = v }

// config8/32/64 read the device-specific configuration space.
func (d *vdev) config8(off uintptr) uint8 { return *(*uint8)(ptr(d.base + virtio.MMIOConfig + off)) }

func (d *vdev) config32(off uintptr) uint32 { return mmioRead(d.base, virtio.MMIOConfig+off) }

// config64 reads a 64-bit field as two 32-bit reads, retried until the
// configuration generation is stable (4.2.2.2).
func (d *vdev) config64(off uintptr) uint64 {
	for {
		g := mmioRead(d.base, virtio.MMIOConfigGeneration)
		v := uint64(d.config32(off)) | uint64(d.config32(off+4))<<32
		if mmioRead(d.base, virtio.MMIOConfigGeneration) == g {
			return v
		}
	}
}

func (d *vdev) setStatus(s uint32) { mmioWrite(d.base, virtio.MMIOStatus, s) }

func (d *vdev) status() uint32 { return mmioRead(d.base, virtio.MMIOStatus) }

// probe reads the identification registers; it reports false for a window
// without a modern virtio device behind it.
func (d *vdev) probe() bool {
	if mmioRead(d.base, virtio.MMIOMagic) != virtio.MMIOMagicValue {
		return false
	}
	if mmioRead(d.base, virtio.MMIOVersion) != 2 {
		kprint("gotoro: virtio: legacy virtio-mmio transport ignored (use virtio-mmio.force-legacy=false)\n")
		return false
	}
	d.id = mmioRead(d.base, virtio.MMIODeviceID)
	return d.id != 0
}

// begin resets the device and negotiates features: the driver accepts
// want (device-specific bits) plus VERSION_1 and, if offered,
// INDIRECT_DESC. It reports false (device marked FAILED) if the device
// refuses.
func (d *vdev) begin(want uint64) bool {
	d.setStatus(0)
	for d.status() != 0 {
		arch.Pause()
	}
	d.setStatus(virtio.StatusAcknowledge)
	d.setStatus(virtio.StatusAcknowledge | virtio.StatusDriver)
	mmioWrite(d.base, virtio.MMIODeviceFeaturesSel, 0)
	offered := uint64(mmioRead(d.base, virtio.MMIODeviceFeatures))
	mmioWrite(d.base, virtio.MMIODeviceFeaturesSel, 1)
	offered |= uint64(mmioRead(d.base, virtio.MMIODeviceFeatures)) << 32
	if offered&(1<<virtio.FeatureVersion1) == 0 {
		d.setStatus(virtio.StatusFailed)
		return false
	}
	want |= 1<<virtio.FeatureVersion1 | 1<<virtio.FeatureIndirectDesc
	d.features = offered & want
	mmioWrite(d.base, virtio.MMIODriverFeaturesSel, 0)
	mmioWrite(d.base, virtio.MMIODriverFeatures, uint32(d.features))
	mmioWrite(d.base, virtio.MMIODriverFeaturesSel, 1)
	mmioWrite(d.base, virtio.MMIODriverFeatures, uint32(d.features>>32))
	st := uint32(virtio.StatusAcknowledge | virtio.StatusDriver | virtio.StatusFeaturesOK)
	d.setStatus(st)
	if d.status()&virtio.StatusFeaturesOK == 0 {
		d.setStatus(virtio.StatusFailed)
		return false
	}
	return true
}

// has reports whether feature bit f was negotiated.
func (d *vdev) has(f uint) bool { return d.features&(1<<f) != 0 }

// setupQueue creates queue qidx (at most vqMaxSize entries) and hands it to
// the device. It returns nil if the device has no such queue or memory is
// short.
func (d *vdev) setupQueue(qidx uint16) *virtq {
	if d.nq == len(d.q) {
		return nil
	}
	mmioWrite(d.base, virtio.MMIOQueueSel, uint32(qidx))
	if mmioRead(d.base, virtio.MMIOQueueReady) != 0 {
		return nil
	}
	max := mmioRead(d.base, virtio.MMIOQueueNumMax)
	if max == 0 {
		return nil
	}
	size := uint16(vqMaxSize)
	for uint32(size) > max {
		size >>= 1
	}
	q := vqAlloc(d.idx, qidx, size)
	if q == nil {
		return nil
	}
	q.indirect = d.has(virtio.FeatureIndirectDesc)
	mmioWrite(d.base, virtio.MMIOQueueNum, uint32(size))
	mmioWrite(d.base, virtio.MMIOQueueDescLow, uint32(q.desc))
	mmioWrite(d.base, virtio.MMIOQueueDescHigh, uint32(uint64(q.desc)>>32))
	mmioWrite(d.base, virtio.MMIOQueueDriverLow, uint32(q.avail))
	mmioWrite(d.base, virtio.MMIOQueueDriverHigh, uint32(uint64(q.avail)>>32))
	mmioWrite(d.base, virtio.MMIOQueueDeviceLow, uint32(q.used))
	mmioWrite(d.base, virtio.MMIOQueueDeviceHigh, uint32(uint64(q.used)>>32))
	mmioWrite(d.base, virtio.MMIOQueueReady, 1)
	d.q[d.nq] = int32(nvqs - 1)
	d.nq++
	return q
}

// finish sets DRIVER_OK: the device is live. Call it after the queues are
// set up (and, for receive queues, filled).
func (d *vdev) finish() {
	d.setStatus(virtio.StatusAcknowledge | virtio.StatusDriver | virtio.StatusFeaturesOK | virtio.StatusDriverOK)
}
