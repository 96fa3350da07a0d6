package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/kernel/mm"
)

// Stream-socket buffers. A pipe made for a stream socket grows past an
// ordinary pipe's 64 KiB, up to streamCap, taking pages as data arrives
// and giving them back as it is read. Linux buffers megabytes on a
// connection (net.ipv4.tcp_wmem and tcp_rmem), and programs rely on it: a
// client writing a 1 MiB request expects the write to finish before the
// server has read it all, and net/http's client then reads the server's
// early answer instead of failing with EPIPE.
//
// The ring of a stream pipe is a page of slots (its table); a slot holds
// a page while the page holds buffered bytes. Each stream pipe keeps
// pipePages pages for itself (in use or spare), so it can always buffer
// 64 KiB as an ordinary pipe does; pages beyond those come from a budget
// shared by all stream pipes (streamExtraLimit). When the budget is spent
// a writer waits, as on a full pipe, until its reader drains or another
// stream pipe gives an extra page back (streamStarved).
//
// The capacity is one page less than the ring, so the first and the last
// buffered bytes never share a slot: every slot the reader has passed is
// empty.

const (
	streamSlots = pageSize / 8
	streamSize  = streamSlots * pageSize
	streamCap   = streamSize - pageSize
)

// streamExtra counts the pages stream pipes hold beyond their own
// pipePages; guarded by the big kernel lock (the unlocked reads and
// writes of sockets use only a pipe's own pages: streamReadOwn,
// streamWrite without extra).
var streamExtra int

// streamStarved records that a stream pipe found the budget spent: the
// next extra page given back wakes every stream pipe's waiters, whose
// room depended on other pipes.
var streamStarved bool

// streamExtraLimit is how many pages all stream pipes may hold beyond
// their own: an eighth of memory.
func streamExtraLimit() int { return int(mm.TotalPages() / 8) }

// pipeAllocStream reserves a stream-socket pipe with one reader and one
// writer.
func pipeAllocStream() (int, int64) {
	pi, e := pipeReserve()
	if e != 0 {
		return -1, e
	}
	p := &pipes[pi]
	if p.table = mm.Alloc(); p.table == 0 {
		return -1, -ENOMEM
	}
	for p.nspare < pipePages {
		pg := mm.Alloc()
		if pg == 0 {
			streamFreeAll(p)
			return -1, -ENOMEM
		}
		p.spare[p.nspare] = pg
		p.nspare++
	}
	p.used = true
	p.readers, p.writers = 1, 1
	return pi, 0
}

// slots returns the table of stream pipe p.
func (p *pipe) slots() []uintptr {
	return unsafe.Slice((*uintptr)(ptr(p.table)), streamSlots)
}

// streamPage makes sure the slot holding ring offset w has a page and
// reports whether it does. Without extra it uses only the pipe's own
// pages (the unlocked path, which leaves the shared budget alone).
func streamPage(p *pipe, w int, extra bool) bool {
	s := p.slots()
	i := w / pageSize
	if s[i] != 0 {
		return true
	}
	if p.nspare > 0 {
		p.nspare--
		s[i], p.spare[p.nspare] = p.spare[p.nspare], 0
		return true
	}
	if !extra {
		return false
	}
	if streamExtra >= streamExtraLimit() {
		streamStarved = true
		return false
	}
	if s[i] = mm.Alloc(); s[i] == 0 {
		streamStarved = true
		return false
	}
	streamExtra++
	return true
}

// streamRelease empties slot i of stream pipe p.
func streamRelease(p *pipe, i int) {
	s := p.slots()
	pg := s[i]
	if pg == 0 {
		return
	}
	s[i] = 0
	if p.nspare < pipePages {
		p.spare[p.nspare] = pg
		p.nspare++
		return
	}
	mm.Free(pg)
	streamExtra--
	if streamStarved {
		streamStarved = false
		streamWakeAll()
	}
}

// streamWakeAll tells the waiters of every stream pipe that its room may
// have grown.
func streamWakeAll() {
	for i := range pipes {
		if p := &pipes[i]; p.used && p.table != 0 {
			pipeChanged(p)
		}
	}
}

// streamRoom returns how many bytes stream pipe p takes without waiting.
func streamRoom(p *pipe) int {
	room := streamCap - p.n
	if room <= 0 {
		return 0
	}
	if p.nspare > 0 || streamExtra < streamExtraLimit() {
		return room
	}
	w := (p.r + p.n) % streamSize
	if p.slots()[w/pageSize] != 0 {
		return min(room, pageSize-w%pageSize)
	}
	streamStarved = true
	return 0
}

// streamWrite copies as much of b into stream pipe p as it takes and
// returns how much that was; without extra it takes no page of the
// shared budget (streamPage).
func streamWrite(p *pipe, b []byte, extra bool) int {
	done := 0
	for done < len(b) && p.n < streamCap {
		w := (p.r + p.n) % streamSize
		if !streamPage(p, w, extra) {
			break
		}
		m := min(len(b)-done, streamCap-p.n, pageSize-w%pageSize)
		copy(unsafeSlice(p.slots()[w/pageSize]+uintptr(w%pageSize), uintptr(m)), b[done:done+m])
		done += m
		p.n += m
	}
	return done
}

// streamRead copies up to len(b) buffered bytes of stream pipe p into b,
// gives back the pages it empties and returns how much it copied.
func streamRead(p *pipe, b []byte) int {
	done := pageRingRead(b, p.slots(), p.r, p.n)
	r0 := p.r
	p.r = (p.r + done) % streamSize
	p.n -= done
	first, count := streamEmptied(r0, p.r, p.n)
	for k := range count {
		streamRelease(p, (first+k)%streamSlots)
	}
	if p.n == 0 {
		p.r = 0
	}
	return done
}

// streamReadOwn reports whether taking want buffered bytes from stream
// pipe p gives back no page beyond the pipe's own (its spares have room
// for every slot the read empties): only then may the read run without
// the big kernel lock, which guards the shared budget.
func streamReadOwn(p *pipe, want int) bool {
	r1 := (p.r + want) % streamSize
	_, count := streamEmptied(p.r, r1, p.n-want)
	return p.nspare+count <= pipePages
}

// streamEmptied returns the slots a read from ring offset r0 to r1 left
// empty, n bytes being still buffered: count slots from first on (modulo
// streamSlots). They are the slots it passed, and r1's own when nothing
// is left.
func streamEmptied(r0, r1, n int) (first, count int) {
	first = r0 / pageSize
	count = (r1/pageSize - first + streamSlots) % streamSlots
	if n == 0 {
		count++
	}
	return first, count
}

// streamFreeAll gives back every page of stream pipe p.
func streamFreeAll(p *pipe) {
	if p.table != 0 {
		for i := range streamSlots {
			streamRelease(p, i)
		}
		mm.Free(p.table)
		p.table = 0
	}
	for p.nspare > 0 {
		p.nspare--
		mm.Free(p.spare[p.nspare])
		p.spare[p.nspare] = 0
	}
}
