package imagefs

// Lookup returns the index of the entry whose path is exactly path, which
// must be absolute and clean ("/", "/usr/lib", never "/usr/" or "/a/../b").
// It follows no symlinks; use [FS.Walk] to resolve arbitrary paths. It is a
// binary search over the entry table.
func (fs FS) Lookup(path string) (int, bool) {
	lo, hi := 0, fs.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if fs.Path(mid) < path {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < fs.n && fs.Path(lo) == path {
		return lo, true
	}
	return -1, false
}

// LookupChild returns the index of the entry called name in directory dir.
// It follows no symlinks and knows nothing of "." and "..". It is a binary
// search over the directory's children.
//
//go:nosplit
func (fs FS) LookupChild(dir int, name string) (int, bool) {
	n := fs.NumChildren(dir)
	if n == 0 {
		return -1, false
	}
	first := int(fs.u32(dir, eFirstChild))
	lo, hi := first, first+n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if fs.Name(fs.child(mid)) < name {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < first+n {
		if c := fs.child(lo); fs.Name(c) == name {
			return c, true
		}
	}
	return -1, false
}
