package kernel

import "encoding/binary"

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
		l := int(binary.LittleEndian.Uint64(b[off:]))
		level := int32(binary.LittleEndian.Uint32(b[off+8:]))
		typ := int32(binary.LittleEndian.Uint32(b[off+12:]))
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
				fd := uintptr(binary.LittleEndian.Uint32(b[p:]))
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

// rightsAttach puts m beside the n bytes at position pos of socket to's
// stream and returns its slot (rightsSetEnd corrects the end once the
// write has finished).
func rightsAttach(to int, pos uint64, n int, m *rightsMsg) (int, int64) {
	i := rightsSlot()
	if i < 0 {
		return -1, -ETOOMANYREFS
	}
	inflights[i] = inflight{used: true, stream: true, to: int32(to), pos: pos, end: pos + uint64(n), m: *m}
	m.n = 0
	return i, 0
}

// rightsSetEnd records where the bytes sent with slot i's descriptors end.
func rightsSetEnd(i int, end uint64) {
	if in := &inflights[i]; in.used && in.stream {
		in.end = end
	}
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
// them (out nil: a read, or no room).
func rightsDeliver(i int, out *rightsMsg, fflags uint32) {
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
// socket ui's stream: if the read reaches bytes sent with descriptors (the
// first such), it takes them (out; dropped if nil) and returns where the
// read must end, relative to pos; else -1.
func rightsTake(ui int, pos uint64, n int, out *rightsMsg, fflags uint32) int64 {
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
	lim := int64(inflights[first].end - pos)
	rightsDeliver(first, out, fflags)
	if out != nil {
		out.got = true
	}
	return max(lim, 1)
}

// rightsDropFor drops what is in flight to socket ui, which closes.
func rightsDropFor(ui int) {
	for i := range inflights {
		if in := &inflights[i]; in.used && in.stream && int(in.to) == ui {
			rightsDeliver(i, nil, 0)
		}
	}
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
		binary.LittleEndian.PutUint32(b[cmsgHdrLen+4*k:], uint32(fd))
		k++
	}
	trunc := fit < m.n
	m.n = 0
	if k == 0 {
		return 0, trunc
	}
	l := cmsgHdrLen + 4*k
	binary.LittleEndian.PutUint64(b[0:], uint64(l))
	binary.LittleEndian.PutUint32(b[8:], solSocket)
	binary.LittleEndian.PutUint32(b[12:], scmRights)
	return min(uintptr((l+7)&^7), n), trunc
}
