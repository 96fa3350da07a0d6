package imagefs

// checkEntries validates every entry of fs against the strings and data
// regions: path bounds and shape, sort order, file type, parent links and
// data bounds, and that the directories' child counts add up. It runs
// before any other method may be used, so it reads fields directly.
func (fs FS) checkEntries(strs, data region) error {
	kids := uint64(0)
	for i := 0; i < fs.n; i++ {
		pathOff, pathLen := fs.u64(i, ePathOff), uint64(fs.u32(i, ePathLen))
		nameLen := uint64(fs.u32(i, eNameLen))
		if pathLen == 0 || pathLen > MaxPath || nameLen == 0 || nameLen > pathLen ||
			!strs.contains(pathOff, pathLen) {
			return ErrEntryPath
		}
		mode := fs.u32(i, eMode)
		typ := mode & ModeTypeMask
		if mode&^(ModeTypeMask|ModePermMask) != 0 ||
			(typ != ModeDir && typ != ModeRegular && typ != ModeSymlink) {
			return ErrEntryType
		}
		if err := fs.checkPath(i); err != nil {
			return err
		}
		size, dataOff := fs.u64(i, eSize), fs.u64(i, eDataOff)
		n := uint64(fs.u32(i, eNumChildren))
		if typ == ModeDir {
			if size != 0 {
				return ErrEntryData
			}
			first := uint64(fs.u32(i, eFirstChild))
			if first+n > uint64(fs.nkids) {
				return ErrChildren
			}
			kids += n
			continue
		}
		if n != 0 {
			return ErrChildren
		}
		if dataOff%align != 0 || !data.contains(dataOff, size) {
			return ErrEntryData
		}
	}
	if kids != uint64(fs.nkids) {
		return ErrChildren
	}
	return nil
}

// checkPath validates the path, name and parent of entry i, whose path
// bounds are already checked, and that it sorts after entry i-1.
func (fs FS) checkPath(i int) error {
	p, name := fs.Path(i), fs.Name(i)
	parent := int(fs.u32(i, eParent))
	if i == 0 {
		if p != "/" || name != "/" || parent != 0 || !fs.IsDir(0) {
			return ErrRoot
		}
		return nil
	}
	if p <= fs.Path(i-1) {
		return ErrEntryOrder
	}
	if parent >= i || !fs.IsDir(parent) {
		return ErrParent
	}
	if name == "." || name == ".." || hasSlashOrNUL(name) {
		return ErrEntryPath
	}
	// p must be the parent's path, then "/", then the name. The root's path
	// is "/" itself, so its children have no prefix before the slash.
	prefix := fs.Path(parent)
	if parent == 0 {
		prefix = ""
	}
	if len(p) != len(prefix)+1+len(name) || p[:len(prefix)] != prefix || p[len(prefix)] != '/' {
		return ErrParent
	}
	return nil
}

// checkChildren validates the children array: each directory's run holds
// entries whose parent is that directory, in strictly increasing name order.
// With the counts checked by checkEntries this makes every entry but the
// root appear exactly once.
func (fs FS) checkChildren() error {
	for d := 0; d < fs.n; d++ {
		n := fs.NumChildren(d)
		first := int(fs.u32(d, eFirstChild))
		for k := 0; k < n; k++ {
			c := fs.child(first + k)
			if c <= 0 || c >= fs.n || int(fs.u32(c, eParent)) != d {
				return ErrChildren
			}
			if k > 0 && fs.Name(fs.child(first+k-1)) >= fs.Name(c) {
				return ErrChildren
			}
		}
	}
	return nil
}

// hasSlashOrNUL reports whether name holds a '/' or a NUL byte. (The
// package does not import strings: the kernel links it, and strings
// brings package initializations into every program, docs/boot.md.)
func hasSlashOrNUL(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return true
		}
	}
	return false
}
