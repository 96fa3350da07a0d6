package kernel

import "github.com/gotoro/gotoro/internal/byteorder"

// SCM_RIGHTS: descriptors passed over AF_UNIX sockets. sendmsg takes a
// reference to each description named in the control message; the
// references wait in an in-flight slot — beside a stream's bytes (the
// receiver's stream positions of the bytes sent with them) or named by a
// message record — until recvmsg installs them as new descriptors of the
// receiver, or a plain read, or the receiver's close, drops them. As on
// Linux, a stream read that reaches bytes sent with descriptors takes the
// descriptors and stops at the end of those bytes.

const (
	maxRightsPerMsg = 64
	maxInflight     = 256
)

// rightsMsg is the descriptions of one control message.
type rightsMsg struct {
	n   int
	fis [maxRightsPerMsg]int32
	// got: a stream read took descriptors (and so ends there).
	got bool
}

type inflight struct {
	used   bool
	stream bool   // attached to a stream position (else named by a record)
	to     int32  // the receiving socket (stream)
	pos    uint64 // the receiver's stream position of the first byte (stream)
	end    uint64 // and of the byte after the last
	m      rightsMsg
}

var inflights [maxInflight]inflight

// rightsParse reads the SCM_RIGHTS control messages of the user's control
// buffer into m, taking a reference to each description; credentials are
// accepted and ignored (there is one process).
func rightsParse(control, n uintptr, m *rightsMsg) int64 {
	b, ok := userBytes(control, n, false)
	if !ok {
		return -EFAULT
	}
	for off := 0; off+cmsgHdrLen <= len(b); {
		l := int(byteorder.LittleEndian.Uint64(b[off:]))
		level := int32(byteorder.LittleEndian.Uint32(b[off+8:]))
		typ := int32(byteorder.LittleEndian.Uint32(b[off+12:]))
		if l < cmsgHdrLen || off+l > len(b) {
			rightsRelease(m)
			return -EINVAL
		}
		if level != solSocket || (typ != scmRights && typ != scmCredentials) {
			rightsRelease(m)
			return -EINVAL
		}
		if typ == scmRights {
			for p := off + cmsgHdrLen; p+4 <= off+l; p += 4 {
				fd := uintptr(byteorder.LittleEndian.Uint32(b[p:]))
				fi, f := fdGet(fd)
				if f == nil {
					rightsRelease(m)
					return -EBADF
				}
				if m.n == maxRightsPerMsg {
					rightsRelease(m)
					return -ETOOMANYREFS
				}
				fileHold(fi)
				m.fis[m.n] = fi
				m.n++
			}
		}
		off += (l + 7) &^ 7
	}
	return 0
}

// rightsRelease drops the references of m.
func rightsRelease(m *rightsMsg) {
	for i := 0; i < m.n; i++ {
		fileRelease(m.fis[i])
	}
	m.n = 0
}

func rightsSlot() int {
	for i := range inflights {
		if !inflights[i].used {
			return i
		}
	}
	return -1
}

// rightsReserve takes a free in-flight slot for a stream write's
// descriptors before the write takes its pipe's lock (slots are the big
// kernel lock's); rightsAttach fills it once the first bytes are in, or
// rightsUnreserve gives it back when none went in. It returns -1 with
// ETOOMANYREFS when every slot is taken.
func rightsReserve() (int, int64) {
	i := rightsSlot()
	if i < 0 {
		return -1, -ETOOMANYREFS
	}
	inflights[i] = inflight{used: true, to: -1}
	return i, 0
}

// rightsUnreserve frees slot i, reserved and never attached.
func rightsUnreserve(i int) { inflights[i] = inflight{} }

// rightsAttach puts m in reserved slot i, beside the bytes from position
// pos to end of socket to's stream, and counts it in to's rightsIn. The
// caller holds the lock of to's receive pipe and has just put those
// bytes in under it, so a reader without the big lock that sees the
// bytes also sees the count (and leaves the read to the locked path).
func rightsAttach(i, to int, pos, end uint64, m *rightsMsg) {
	inflights[i] = inflight{used: true, stream: true, to: int32(to), pos: pos, end: end, m: *m}
	m.n = 0
	unixSocks[to].rightsIn++
}

// rightsStore keeps m for a message record and returns its slot.
func rightsStore(m *rightsMsg) (int, int64) {
	i := rightsSlot()
	if i < 0 {
		return -1, -ETOOMANYREFS
	}
	inflights[i] = inflight{used: true, to: -1, m: *m}
	m.n = 0
	return i, 0
}

// rightsDeliver hands slot i's descriptions to out (recvmsg), or drops
// them (out nil: no room, or the receiver closes).
func rightsDeliver(i int, out *rightsMsg) {
	in := &inflights[i]
	for k := 0; k < in.m.n; k++ {
		if out != nil && out.n < maxRightsPerMsg {
			out.fis[out.n] = in.m.fis[k]
			out.n++
		} else {
			fileRelease(in.m.fis[k])
		}
	}
	in.used = false
}

// rightsTake is called before a read of n bytes at position pos of
// socket ui's stream, under the lock of ui's receive pipe: if the read
// reaches bytes sent with descriptors (the first such), it moves them to
// out, which is empty (a read takes one message's descriptors at most:
// unixStreamRecvv stops after the part that got them), and returns where
// the read must end, relative to pos; else -1. A plain read passes its
// own out and drops the descriptions once it has dropped the pipe lock
// (a release may wait for other cores: never under a pipe lock).
func rightsTake(ui int, pos uint64, n int, out *rightsMsg) int64 {
	first := -1
	for i := range inflights {
		in := &inflights[i]
		if !in.used || !in.stream || int(in.to) != ui || in.pos >= pos+uint64(n) {
			continue
		}
		if first < 0 || in.pos < inflights[first].pos {
			first = i
		}
	}
	if first < 0 {
		return -1
	}
	in := &inflights[first]
	lim := int64(in.end - pos)
	*out = in.m
	out.got = true
	in.used = false
	unixSocks[ui].rightsIn--
	return max(lim, 1)
}

// rightsDropFor drops what is in flight to socket ui, which closes.
func rightsDropFor(ui int) {
	for i := range inflights {
		if in := &inflights[i]; in.used && in.stream && int(in.to) == ui {
			rightsDeliver(i, nil)
		}
	}
	unixSocks[ui].rightsIn = 0
}

// rightsPut installs the descriptions of m as descriptors and writes one
// SCM_RIGHTS control message to the user's buffer (n bytes). It returns
// the control bytes written and whether some descriptors did not fit
// (those are closed, as on Linux: MSG_CTRUNC).
func rightsPut(m *rightsMsg, control, n uintptr, cloexec bool) (uintptr, bool) {
	if m.n == 0 {
		return 0, false
	}
	fit := 0
	if n >= cmsgHdrLen {
		fit = min(m.n, int(n-cmsgHdrLen)/4)
	}
	var b []byte
	if fit > 0 {
		var ok bool
		if b, ok = userBytes(control, uintptr(cmsgHdrLen+4*fit), true); !ok {
			fit = 0
		}
	}
	k := 0
	for i := 0; i < m.n; i++ {
		if i >= fit {
			fileRelease(m.fis[i])
			continue
		}
		fd := fdInstall(m.fis[i], 0, cloexec, false) // a description set up by its sender
		if fd < 0 {
			fileRelease(m.fis[i])
			continue
		}
		byteorder.LittleEndian.PutUint32(b[cmsgHdrLen+4*k:], uint32(fd))
		k++
	}
	trunc := fit < m.n
	m.n = 0
	if k == 0 {
		return 0, trunc
	}
	l := cmsgHdrLen + 4*k
	byteorder.LittleEndian.PutUint64(b[0:], uint64(l))
	byteorder.LittleEndian.PutUint32(b[8:], solSocket)
	byteorder.LittleEndian.PutUint32(b[12:], scmRights)
	return min(uintptr((l+7)&^7), n), trunc
}
