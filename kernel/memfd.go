package kernel

import (
	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/mm"
)

// memfd_create: an anonymous file, a /tmp node (tmpfs.go) that is in no
// directory, so its data, holes, sparse truncation, read, write and
// shared mappings are tmpfs's (tmpfs_file.go, tmpfs_write.go, vm_file.go)
// and its pages count against the guest's memory as /tmp's do. A write
// does not take the last free pages (memfdRoom): it fails with ENOSPC
// (or is short) while the program still has memory to run and to give
// the memfd's back, where writing a memfd until the guest's RAM is gone
// would leave the program's next page fault nothing but the out-of-memory
// kill. Stores through a shared mapping take pages as any fault does.
// What is its own: the name (/proc/self/fd says "/memfd:NAME (deleted)"),
// the file seals (F_ADD_SEALS, F_GET_SEALS) and the checks they add to
// write, truncate, mmap and chmod. A memfd's reads and writes run under
// the big kernel lock (no kindUnlocked), which orders them against
// F_ADD_SEALS as Linux's inode lock does.

// memfd_create's flags.
const (
	mfdCloexec      = 0x1
	mfdAllowSealing = 0x2
	mfdHugetlb      = 0x4
	mfdNoexecSeal   = 0x8
	mfdExec         = 0x10
	mfdAll          = mfdCloexec | mfdAllowSealing | mfdHugetlb | mfdNoexecSeal | mfdExec

	// mfdNameMax is the longest name (NAME_MAX less "memfd:").
	mfdNameMax = 249
)

// File seals (fcntl F_ADD_SEALS, F_GET_SEALS).
const (
	fAddSeals = 1033
	fGetSeals = 1034

	sealSeal        = 0x01
	sealShrink      = 0x02
	sealGrow        = 0x04
	sealWrite       = 0x08
	sealFutureWrite = 0x10
	sealExec        = 0x20
	sealAll         = sealSeal | sealShrink | sealGrow | sealWrite | sealFutureWrite | sealExec
	sealWrites      = sealWrite | sealFutureWrite
)

// memfdSeals[i] holds the seals of tmpfs node i when it is a memfd's.
var memfdSeals [maxTmpNodes]uint8

func sysMemfdCreate(name, flags, _, _, _, _ uintptr) int64 {
	return memfdCreate(name, uint32(flags))
}

// memfdCreate makes a memfd named by the user's string at name. Huge
// pages (MFD_HUGETLB) do not exist here: EINVAL. Without MFD_EXEC or
// MFD_NOEXEC_SEAL the file is executable (mode 0777), as with Linux's
// default vm.memfd_noexec=0.
func memfdCreate(name uintptr, flags uint32) int64 {
	if flags&^mfdAll != 0 || flags&mfdHugetlb != 0 || flags&mfdExec != 0 && flags&mfdNoexecSeal != 0 {
		return -EINVAL
	}
	s, e := userPath(name)
	if e == -ENAMETOOLONG || e == 0 && len(s) > mfdNameMax {
		return -EINVAL
	}
	if e != 0 {
		return e
	}
	mode, seals := uint32(0o777), uint8(sealSeal)
	if flags&mfdAllowSealing != 0 {
		seals = 0
	}
	if flags&mfdNoexecSeal != 0 {
		mode, seals = 0o666, sealExec
	}
	i := tmpAnonNode(s, tmpModeFile|mode)
	if i < 0 {
		return -ENOSPC
	}
	memfdSeals[i] = seals
	fl := uint32(oRdwr)
	if flags&mfdCloexec != 0 {
		fl |= oCloexec
	}
	fd := memfdOpen(i, fl)
	if fd < 0 {
		tmp.nodes[i].used = false
	}
	return fd
}

// oLargefile is O_LARGEFILE, which Linux sets on a memfd's description.
const oLargefile = 0x8000

// memfdOpen gives memfd node i a new description with the flags of
// open(2) (memfd_create, or an open of /proc/self/fd/N): its own offset
// and access mode, the node's seals. O_TRUNC answers to them.
func memfdOpen(i int, flags uint32) int64 {
	fd, f := newFD(fkMemfd, flags&^(oCreat|oExcl|oTrunc|oDirectory|oNofollow)|oLargefile)
	if f == nil {
		return fd
	}
	f.node = i
	tmp.nodes[i].opens++
	if flags&oTrunc != 0 && flags&oAccMode != oRdonly {
		if e := f.ops().truncate(f, 0); e != 0 {
			fdClose(uintptr(fd))
			return e
		}
	}
	return fd
}

// tmpAnonNode takes a free tmpfs node for a file in no directory, named
// "memfd:"+name for /proc/self/fd, and returns it or -1 when the table
// is full. It is not linked: the last close frees it (tmpClose).
func tmpAnonNode(name string, mode uint32) int {
	for i := 1; i < maxTmpNodes; i++ {
		n := &tmp.nodes[i]
		if n.used {
			continue
		}
		*n = tmpNode{used: true, mode: mode, parent: tmpRoot, firstChild: -1, nextSibling: -1}
		k := copy(n.name[:], "memfd:")
		n.nameLen = uint8(k + copy(n.name[k:], name))
		n.mtime = ktime.EpochNs() + ktime.Now()
		return i
	}
	tmpOutOfNodes()
	return -1
}

// fileSeals returns the seals of f: a memfd's, F_SEAL_SEAL for any
// other /tmp file (tmpfs files can be sealed on Linux, but only a memfd
// made with MFD_ALLOW_SEALING starts without it), or -EINVAL.
func fileSeals(f *file) int64 {
	switch f.kind {
	case fkMemfd:
		return int64(memfdSeals[f.node])
	case fkTmpFile:
		return sealSeal
	}
	return -EINVAL
}

// addSeals is fcntl(F_ADD_SEALS), with Linux's errors in its order: a
// description not open for writing (EPERM), unknown seals (EINVAL), a
// file that has no seals (EINVAL), F_SEAL_SEAL set (EPERM), F_SEAL_WRITE
// while the file has a shared mapping that is or may become writable
// (EBUSY, tmpMayBeWritten). F_SEAL_EXEC on
// an executable file implies the write, grow and shrink seals.
func addSeals(f *file, seals uint32) int64 {
	if f.flags&oAccMode == oRdonly {
		return -EPERM
	}
	if seals&^sealAll != 0 {
		return -EINVAL
	}
	cur := fileSeals(f)
	if cur < 0 {
		return cur
	}
	if cur&sealSeal != 0 {
		return -EPERM
	}
	if seals&sealWrite != 0 && cur&sealWrite == 0 && tmpMayBeWritten(f.node) {
		return -EBUSY
	}
	if seals&sealExec != 0 && tmp.nodes[f.node].mode&0o111 != 0 {
		seals |= sealShrink | sealGrow | sealWrites
	}
	memfdSeals[f.node] |= uint8(seals)
	return 0
}

// tmpMayBeWritten reports whether tmpfs node i has a shared mapping that
// is writable or may be made writable by mprotect: Linux counts every
// shared mapping with VM_MAYWRITE (i_mmap_writable), so a read-only
// shared mapping through a description open for writing blocks
// F_SEAL_WRITE too.
func tmpMayBeWritten(i int) bool {
	for j := 0; j < vm.n; j++ {
		v := &vm.v[j]
		if tmpShared(v) && vmaFile(v).node == i &&
			(v.prot&protWrite != 0 || vmaFile(v).flags&oAccMode == oRdwr && v.flags&vmNoMayWrite == 0) {
			return true
		}
	}
	return false
}

// sealedWrites reports whether f is a memfd sealed against writes
// (F_SEAL_WRITE or F_SEAL_FUTURE_WRITE).
func sealedWrites(f *file) bool {
	return f.kind == fkMemfd && memfdSeals[f.node]&sealWrites != 0
}

// sealedMap returns the error of mapping f with flags and prot: EPERM for
// a shared writable mapping of a write-sealed memfd.
func sealedMap(f *file, prot, flags uint32) int64 {
	if flags&mapShared != 0 && prot&protWrite != 0 && sealedWrites(f) {
		return -EPERM
	}
	return 0
}

// tmpPaged reports whether f's data are tmpfs pages, which a shared
// mapping maps themselves (vm_file.go): a /tmp file or a memfd.
func tmpPaged(f *file) bool { return f.kind == fkTmpFile || f.kind == fkMemfd }

// memfdRoom returns how many of the n bytes of a write at pos into memfd
// node i fit without taking new pages from the reserve the guest keeps
// for the program (memfdReserve): pages already backed cost nothing.
// Past the node's window it leaves the answer (EFBIG) to the write.
func memfdRoom(i int, pos, n int64) int64 {
	if pos < 0 || pos >= tmpFileSpan || n <= 0 {
		return n
	}
	end := min(pos+n, tmpFileSpan)
	free := int64(mm.FreePages()) - memfdReserve()
	start := tmpData(i) + uintptr(pos)
	for p := start &^ (pageSize - 1); p < tmpData(i)+uintptr(end); p += pageSize {
		if e := mm.PTE(p, false); e != nil && *e&mm.PTEPresent != 0 {
			continue
		}
		if free <= 0 {
			return int64(max(p, start) - start)
		}
		free--
	}
	return n
}

// memfdReserve is how many free pages memfd writes leave: a sixteenth of
// the guest's RAM, at least 4 MiB.
func memfdReserve() int64 { return max(int64(mm.TotalPages()/16), 1024) }
