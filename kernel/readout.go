package kernel

import "sync/atomic"

// The copy of an unlocked read into the user buffer, shared by the kinds
// whose data is in guest memory (/tmp, the packed tree).

// readSrc is what an unlocked read copies from: /tmp node node (node >= 0;
// its holes read as zeros), or data.
type readSrc struct {
	node int
	data []byte
}

// fill copies the source at off into the translated buffer u and returns
// how much it copied (short at the end of the data).
func (s *readSrc) fill(u *userPages, off int64) int64 {
	if s.node >= 0 {
		return tmpReadPages(s.node, u, off)
	}
	done := uintptr(0)
	for done < u.n && off+int64(done) < int64(len(s.data)) {
		done += uintptr(copy(u.chunk(done), s.data[off+int64(done):]))
	}
	return int64(done)
}

// readOut copies up to n bytes of src at pos into the user buffer at buf,
// for a read without the big kernel lock; the caller holds what keeps src
// in place (a /tmp node's lock). The user buffer is translated once,
// before anything changes: a page of anonymous memory not yet backed is
// backed first (translateFault); any other page not present declines
// (ok false: the locked path faults it in, or fails). Only what the
// source can fill is translated; a read of more than userPagesMax pages
// checks the whole of it first and then translates it a part at a time,
// and a part unmapped by another core meanwhile ends it short (EFAULT if
// nothing was read).
func readOut(buf, n uintptr, src *readSrc, pos int64) (int64, bool) {
	size := int64(len(src.data))
	if src.node >= 0 {
		size = atomic.LoadInt64(&tmp.nodes[src.node].size)
	}
	want := min(n, uintptr(max(size-pos, 0)))
	var u userPages
	check := max(want, 1) // an empty read still needs a buffer
	fits := userPagesFit(buf, check)
	if fits && !u.translateFault(buf, check, true) || !fits && !userPresentFault(buf, check, true) {
		return 0, false
	}
	done := uintptr(0)
	fault := false
	for done < want {
		if done != 0 || !fits {
			// The next part of a big read.
			part := min(want-done, userPagesMax*pageSize-(buf+done)&(pageSize-1))
			if !u.translateFault(buf+done, part, true) {
				fault = true // unmapped by another core meanwhile
				break
			}
		}
		m := src.fill(&u, pos+int64(done))
		done += uintptr(m)
		if m < int64(u.n) {
			break
		}
	}
	if done == 0 && fault {
		return -EFAULT, true
	}
	return int64(done), true
}
