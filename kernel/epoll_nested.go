package kernel

// An epoll instance is itself pollable, as on Linux: poll, select and an
// outer epoll see it readable (EPOLLIN) while epoll_wait on it would
// report an event. Instances may nest, but not in a loop and not deeper
// than Linux allows (ELOOP at EPOLL_CTL_ADD), so looking at an instance's
// readiness, which looks at its items', always ends.

// epollMaxNests is Linux's EP_MAX_NESTS: a chain of instances, each in
// the next, has at most this many links.
const epollMaxNests = 4

// readiness is EPOLLIN while some registration would report an event.
// Nothing is consumed: an edge-triggered or one-shot registration stays
// as it was.
func (*epollFile) readiness(f *file) uint32 {
	in := &epolls[f.ep]
	for i := 0; i < in.n; i++ {
		it := &in.items[i]
		if it.off {
			continue
		}
		r, g := epollLook(&files[it.file], it.events)
		if r != 0 && (it.events&epollET == 0 || it.seenGen != g) {
			return epollIn
		}
	}
	return 0
}

// gen moves when any registered file's does, so that an edge-triggered
// registration of the instance in another sees its changes. (A
// registration removed can take the sum back to a value seen before; the
// outer registration then misses that edge.)
func (*epollFile) gen(f *file) uint64 {
	g := f.gen
	in := &epolls[f.ep]
	for i := 0; i < in.n; i++ {
		inner := &files[in.items[i].file]
		g += inner.ops().gen(inner)
	}
	return g
}

// epollNestCheck is EPOLL_CTL_ADD's check of adding instance to into
// instance ep: EINVAL for the instance itself, ELOOP if to already
// reaches ep (a loop) or the chain through them would be longer than
// epollMaxNests.
func epollNestCheck(ep, to int32) int64 {
	if ep == to {
		return -EINVAL
	}
	if epollReaches(to, ep) {
		return -ELOOP
	}
	if epollDepthBelow(to)+1+epollDepthAbove(ep) > epollMaxNests {
		return -ELOOP
	}
	return 0
}

// epollInner returns the instance item it registers, or -1 if it
// registers another kind of file.
func epollInner(it *epollItem) int32 {
	if f := &files[it.file]; f.kind == fkEpoll {
		return f.ep
	}
	return -1
}

// epollReaches reports whether instance from is to or holds it, at any
// depth.
func epollReaches(from, to int32) bool {
	if from == to {
		return true
	}
	in := &epolls[from]
	for i := 0; i < in.n; i++ {
		if e := epollInner(&in.items[i]); e >= 0 && epollReaches(e, to) {
			return true
		}
	}
	return false
}

// epollDepthBelow is the longest chain of instances held in ep, in links.
func epollDepthBelow(ep int32) int {
	d := 0
	in := &epolls[ep]
	for i := 0; i < in.n; i++ {
		if e := epollInner(&in.items[i]); e >= 0 {
			d = max(d, 1+epollDepthBelow(e))
		}
	}
	return d
}

// epollDepthAbove is the longest chain of instances that hold ep, in
// links.
func epollDepthAbove(ep int32) int {
	d := 0
	for o := range epolls {
		in := &epolls[o]
		if !in.used {
			continue
		}
		for i := 0; i < in.n; i++ {
			if epollInner(&in.items[i]) == ep {
				d = max(d, 1+epollDepthAbove(int32(o)))
				break
			}
		}
	}
	return d
}
