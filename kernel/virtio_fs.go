package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// The virtio-fs driver: FUSE requests over a request queue, FORGETs over
// the high-priority queue. A request is built in a slot (one page for the
// in-header and arguments, one for the out-header and reply); read and
// write data go straight between the device and the caller's pages. The
// file system on top is fusefs.go.

const (
	maxFuseMounts = 4
	fuseSlots     = 16 // requests in flight per mount
	// fuseMaxData bounds one READ or WRITE: 128 pages, which with the
	// header segments fits an indirect table.
	fuseMaxData = 128 * pageSize
)

type fuseMount struct {
	dev      *vio.Device
	hq, rq   *vio.Queue
	tag      [virtio.FSTagLen]byte
	tagLen   int
	path     [pathMax]byte // mount point, absolute and clean
	pathLen  int
	readOnly bool
	mounted  bool
	maxWrite uint32
	maxRead  uint32
	unique   uint64
	slotIn   [fuseSlots]uintptr
	slotOut  [fuseSlots]uintptr
	slotBusy [fuseSlots]bool
	waiters  int32
	// rootIno is the share root's inode number as the server gives it,
	// recorded by the first GETATTR of the root (rootSeen), so that
	// statx can tell the mount's root (STATX_ATTR_MOUNT_ROOT) without a
	// request of its own at boot.
	rootIno  uint64
	rootSeen bool
}

var (
	fuseMounts  [maxFuseMounts]fuseMount
	nfuseMounts int
)

func (m *fuseMount) mountPoint() string { return unsafeString(m.path[:m.pathLen]) }

// fsAttach initializes virtio-fs device d. The share is mounted later, by
// fuseMountAll, if the command line names its tag.
func fsAttach(d *vio.Device) bool {
	if nfuseMounts == maxFuseMounts || !d.Begin(0) {
		return false
	}
	m := &fuseMounts[nfuseMounts]
	m.dev = d
	for m.tagLen < virtio.FSTagLen && d.Config8(virtio.FSCfgTag+uintptr(m.tagLen)) != 0 {
		m.tag[m.tagLen] = d.Config8(virtio.FSCfgTag + uintptr(m.tagLen))
		m.tagLen++
	}
	m.hq = d.SetupQueue(virtio.FSHiprioQ)
	m.rq = d.SetupQueue(virtio.FSRequestQ)
	if m.hq == nil || m.rq == nil {
		return false
	}
	for i := range m.slotIn {
		m.slotIn[i], m.slotOut[i] = mm.Alloc(), mm.Alloc()
		if m.slotIn[i] == 0 || m.slotOut[i] == 0 {
			return false
		}
	}
	nfuseMounts++
	d.Finish()
	return true
}

// init sends FUSE_INIT and records the limits the server replies with.
func (m *fuseMount) init() int64 {
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	*(*uint32)(ptr(in)) = virtio.FuseMajor
	*(*uint32)(ptr(in + 4)) = virtio.FuseMinor
	*(*uint32)(ptr(in + 8)) = 0
	*(*uint32)(ptr(in + 12)) = virtio.FuseAsyncRead | virtio.FuseBigWrites | virtio.FuseMaxPagesFlag
	n, e := m.call(s, virtio.FuseInit, 0, virtio.FuseInitInLen, virtio.FuseInitOutLen, nil, nil)
	if e == 0 && n >= 24 {
		out := m.slotOut[s] + virtio.FuseOutHeaderLen
		m.maxWrite = *(*uint32)(ptr(out + 20))
		maxPages := uint32(32)
		if n >= 30 {
			if p := uint32(*(*uint16)(ptr(out + 28))); p != 0 {
				maxPages = p
			}
		}
		m.maxRead = maxPages * pageSize
	}
	m.release(s)
	if m.maxWrite == 0 || m.maxWrite > fuseMaxData {
		m.maxWrite = min(m.maxWrite, fuseMaxData)
		if m.maxWrite == 0 {
			m.maxWrite = 4096
		}
	}
	m.maxRead = min(m.maxRead, fuseMaxData)
	return e
}

// slot claims a request slot, waiting while all are busy.
func (m *fuseMount) slot() int {
	for {
		for i := range m.slotBusy {
			if !m.slotBusy[i] {
				m.slotBusy[i] = true
				return i
			}
		}
		m.waiters++
		m.rq.Sleep()
		m.waiters--
	}
}

func (m *fuseMount) release(s int) {
	m.slotBusy[s] = false
	if m.waiters > 0 {
		wakeKey(m.rq.Key())
	}
}

// call sends the request in slot s: opcode op on nodeid with argLen bytes
// of arguments already written after the in-header, then dataIn (device
// reads). The reply goes to the slot's out page (replyLen bytes after the
// out-header) and then to dataOut. It returns the reply's payload length
// (reply plus data) or the FUSE error as -errno.
func (m *fuseMount) call(s int, op uint32, nodeid uint64, argLen, replyLen uintptr, dataIn, dataOut []vio.Seg) (int, int64) {
	in, out := m.slotIn[s], m.slotOut[s]
	total := uint32(virtio.FuseInHeaderLen + argLen)
	for _, d := range dataIn {
		total += d.Len
	}
	m.unique++
	h := (*[virtio.FuseInHeaderLen]byte)(ptr(in))
	clear(h[:])
	*(*uint32)(ptr(in)) = total
	*(*uint32)(ptr(in + 4)) = op
	*(*uint64)(ptr(in + 8)) = m.unique
	*(*uint64)(ptr(in + 16)) = nodeid
	atomic.StoreUint32((*uint32)(ptr(out)), 0)
	*(*int32)(ptr(out + 4)) = -EIO
	var segs [fuseMaxData/pageSize + 4]vio.Seg
	k := 0
	segs[k] = vio.Seg{Addr: in, Len: uint32(virtio.FuseInHeaderLen + argLen)}
	k++
	k += copy(segs[k:len(segs)-1], dataIn)
	segs[k] = vio.Seg{Addr: out, Len: uint32(virtio.FuseOutHeaderLen + replyLen), DevWrites: true}
	k++
	k += copy(segs[k:], dataOut)
	q := m.rq
	if op == virtio.FuseBatchForget {
		q = m.hq
		k = 1 // no reply
	}
	head := q.Add(segs[:k])
	q.Kick()
	q.Wait(head)
	if op == virtio.FuseBatchForget {
		return 0, 0
	}
	if e := *(*int32)(ptr(out + 4)); e != 0 {
		if e > 0 || e < -4095 {
			return 0, -EIO
		}
		return 0, int64(e)
	}
	n := int(*(*uint32)(ptr(out))) - virtio.FuseOutHeaderLen
	if n < 0 {
		return 0, -EIO
	}
	return n, 0
}

// forget drops one lookup reference of each node in ids (BATCH_FORGET).
// The root is skipped: its reference is the mount's own, never taken by a
// LOOKUP, and forgetting it makes the server drop the whole share.
func (m *fuseMount) forget(ids []uint64) {
	n := 0
	for _, id := range ids {
		if id != virtio.FuseRootID && id != 0 {
			n++
		}
	}
	if n == 0 {
		return
	}
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	*(*uint32)(ptr(in)) = uint32(n)
	*(*uint32)(ptr(in + 4)) = 0
	i := uintptr(0)
	for _, id := range ids {
		if id == virtio.FuseRootID || id == 0 {
			continue
		}
		e := in + virtio.FuseBatchForgetIn + i*virtio.FuseForgetOneLen
		*(*uint64)(ptr(e)) = id
		*(*uint64)(ptr(e + 8)) = 1
		i++
	}
	m.call(s, virtio.FuseBatchForget, 0, virtio.FuseBatchForgetIn+uintptr(n)*virtio.FuseForgetOneLen, 0, nil, nil)
	m.release(s)
}
