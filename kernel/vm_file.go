package kernel

import (
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// File-backed mappings (mmap with a descriptor). A VMA that maps a file
// holds a reference to the open file description and the file offset of
// its first page; pages are filled on first touch, by kind:
//
//   - /tmp, MAP_SHARED: the user page is the tmpfs page itself (the file's
//     data is page-mapped in the tmpfs window), so the mapping, read and
//     write see one copy; unmapping leaves the page to the file, and
//     truncating the file unmaps what lies past its new end.
//   - virtio-fs, MAP_SHARED: a page read from the host (FUSE_READ) that
//     belongs to the mapping; write(2) to the file updates mapped pages,
//     read(2) and msync, munmap, madvise(DONTNEED) and exit write dirty
//     pages back (FUSE_WRITE; the dirty bit of the page table entry says
//     which), so the host file is current after msync or exit.
//   - MAP_PRIVATE (any file) and the packed tree: a private copy of the
//     file's page made at first touch (later changes to the file are not
//     seen, which POSIX allows).
//
// A page wholly past the end of the file raises SIGBUS, as on Linux.

const (
	vmShared = 1 << 0
	// vmFresh marks anonymous memory no page has been mapped in since
	// mmap made it (vm.go): replacing or unmapping a part of it needs no
	// page-table walk. The first fault in the VMA clears it (vmaTouch); a
	// VMA merged with one without it loses it (vmaJoinFlags).
	vmFresh = 1 << 1
	// vmNoMayWrite marks a shared mapping that can never be made
	// writable: Linux's shared mapping without VM_MAYWRITE, one of a
	// memfd made while the memfd was sealed against writes. Any other
	// shared mapping of a description open for writing may become
	// writable, so it blocks F_SEAL_WRITE (memfd.go) even while it is
	// read-only.
	vmNoMayWrite = 1 << 2

	pteD = 1 << 6

	msAsync      = 1
	msInvalidate = 2
	msSync       = 4

	busAdrErr = 2
)

// fileMappable checks that description fi can be mapped with prot and
// flags and returns the errno if not.
func fileMappable(f *file, prot, flags uint32) int64 {
	if !f.is(kindMappable) {
		return -ENODEV
	}
	acc := f.flags & oAccMode
	if acc == oWronly || f.flags&oPath != 0 {
		return -EACCES
	}
	if flags&mapShared != 0 && prot&protWrite != 0 && acc != oRdwr {
		return -EACCES
	}
	if e := sealedMap(f, prot, flags); e != 0 {
		return e
	}
	return 0
}

// vmaFile returns the description v maps, or nil.
func vmaFile(v *vma) *file {
	if v.file == 0 {
		return nil
	}
	return &files[v.file-1]
}

// vmaOffset returns the file offset of page va in file VMA v.
func vmaOffset(v *vma, va uintptr) int64 {
	return v.off + int64(va&^(pageSize-1)-v.start)
}

// tmpShared reports whether v maps a /tmp file shared: its pages are the
// file's, never freed with the mapping.
func tmpShared(v *vma) bool {
	f := vmaFile(v)
	return f != nil && v.flags&vmShared != 0 && tmpPaged(f)
}

// fuseShared reports whether v maps a virtio-fs file shared: its dirty
// pages are written back.
func fuseShared(v *vma) bool {
	f := vmaFile(v)
	return f != nil && v.flags&vmShared != 0 && f.kind == fkFuseFile
}

// Outcomes of fileFault besides success.
const (
	faultOK = iota
	faultBus
	faultOOM
)

// fileFault backs page va of file VMA i. It may block (a virtio-fs read);
// it then checks that the mapping is still there before installing the
// page.
func fileFault(i int, va uintptr) int {
	v := vm.v[i]
	f := vmaFile(&v)
	page := va &^ (pageSize - 1)
	off := vmaOffset(&v, page)
	size := f.ops().size(f)
	if size < 0 || off >= size {
		return faultBus
	}
	if tmpPaged(f) && v.flags&vmShared != 0 {
		tp := tmpData(f.node) + uintptr(off)
		if !tmpMapPage(f.node, tp) {
			return faultOOM
		}
		e := mm.PTE(page, true)
		if e == nil {
			return faultOOM
		}
		if *e&mm.PTEPresent == 0 {
			*e = *mm.PTE(tp, false)&mm.PTEAddr | mm.PTEPresent | ptePerm(v.prot)
		}
		return faultOK
	}
	if f.kind == fkFuseFile && v.flags&vmShared != 0 {
		return fuseSharedFault(&v, f, page, off, size)
	}
	p := mm.Alloc()
	if p == 0 {
		return faultOOM
	}
	n := min(size-off, pageSize)
	if e := f.ops().pageIn(f, p, off, int(n)); e < 0 {
		mm.Free(p)
		return faultBus
	}
	// A virtio-fs read blocks: the mapping may have changed meanwhile.
	j := vmaFind(page)
	e := mm.PTE(page, true)
	if j < 0 || vm.v[j].file != v.file || vmaOffset(&vm.v[j], page) != off || e == nil || *e&mm.PTEPresent != 0 {
		mm.Free(p)
		if e == nil {
			return faultOOM
		}
		return faultOK
	}
	*e = uint64(p) | mm.PTEPresent | ptePerm(vm.v[j].prot)
	return faultOK
}

// fuseSharedFault backs page va (at file offset off) of shared virtio-fs
// mapping v with the file page all shared mappings use, reading it from
// the host if no mapping has it yet.
func fuseSharedFault(v *vma, f *file, page uintptr, off, size int64) int {
	ff := &fuseFiles[f.node]
	k := fusePageFind(ff.m, ff.nodeid, off)
	var p uintptr
	if k < 0 {
		if p = mm.Alloc(); p == 0 {
			return faultOOM
		}
		if e := fusePageIO(f, p, off, int(min(size-off, pageSize)), false); e < 0 {
			mm.Free(p)
			return faultBus
		}
	}
	// The read blocked: look at the mapping and the cache again.
	j := vmaFind(page)
	e := mm.PTE(page, true)
	if j < 0 || vm.v[j].file != v.file || vmaOffset(&vm.v[j], page) != off || e == nil || *e&mm.PTEPresent != 0 {
		if p != 0 {
			mm.Free(p)
		}
		if e == nil {
			return faultOOM
		}
		return faultOK
	}
	if k = fusePageFind(ff.m, ff.nodeid, off); k >= 0 {
		if p != 0 {
			mm.Free(p)
		}
		fusePages.p[k].refs++
		p = fusePages.p[k].phys
	} else if !fusePageInsert(ff.m, ff.nodeid, off, p) {
		mm.Free(p)
		kprint("gotoro: too many mapped virtio-fs pages\n")
		return faultBus
	}
	*e = uint64(p) | mm.PTEPresent | ptePerm(vm.v[j].prot)
	return faultOK
}

// fusePageIO reads or writes n bytes of the page at physical address p
// from or to offset off of virtio-fs file f.
func fusePageIO(f *file, p uintptr, off int64, n int, write bool) int64 {
	// The request sleeps with the big kernel lock dropped: a munmap
	// meanwhile must not free the page under the device.
	pinned := mm.Pin(p)
	r := fusePageCall(f, p, off, n, write)
	if pinned {
		mm.Unpin(p)
	}
	return r
}

func fusePageCall(f *file, p uintptr, off int64, n int, write bool) int64 {
	ff := &fuseFiles[f.node]
	m := &fuseMounts[ff.m]
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	*(*uint64)(ptr(in)) = ff.fh
	*(*uint64)(ptr(in + 8)) = uint64(off)
	*(*uint32)(ptr(in + 16)) = uint32(n)
	*(*uint32)(ptr(in + 20)) = 0
	*(*uint64)(ptr(in + 24)) = 0
	*(*uint32)(ptr(in + 32)) = f.flags &^ oCloexec
	*(*uint32)(ptr(in + 36)) = 0
	seg := [1]vio.Seg{{Addr: p, Len: uint32(n), DevWrites: !write}}
	var got int
	var e int64
	if write {
		_, e = m.call(s, virtio.FuseWrite, ff.nodeid, virtio.FuseWriteInLen, virtio.FuseWriteOutLen, seg[:], nil)
		got = int(*(*uint32)(ptr(m.slotOut[s] + virtio.FuseOutHeaderLen)))
	} else {
		got, e = m.call(s, virtio.FuseRead, ff.nodeid, virtio.FuseReadInLen, 0, nil, seg[:])
	}
	m.release(s)
	if e != 0 {
		return e
	}
	return int64(got)
}

// sameFuseNode reports whether descriptions a and b are open on the same
// virtio-fs file.
func sameFuseNode(a, b *file) bool {
	return a.kind == fkFuseFile && b.kind == fkFuseFile &&
		fuseFiles[a.node].m == fuseFiles[b.node].m && fuseFiles[a.node].nodeid == fuseFiles[b.node].nodeid
}

// fuseWriteback writes back the dirty pages of shared virtio-fs mappings
// in [start, end) (of file like only, if not nil, and at file offsets in
// [lo, hi)). Each write may block, after which the VMA table is looked at
// afresh; a page's dirty bit is cleared before its write, so a store
// during the write marks it dirty again. Without a share (the shares are
// mounted at boot) no mapping is virtio-fs's: munmap and exit skip the
// scan.
func fuseWriteback(start, end uintptr, like *file, lo, hi int64) int64 {
	if nfuseMounts == 0 {
		return 0
	}
	for {
		va, i := uintptr(0), -1
		for j := 0; j < vm.n && i < 0; j++ {
			v := &vm.v[j]
			if v.end <= start || v.start >= end || !fuseShared(v) || like != nil && !sameFuseNode(vmaFile(v), like) {
				continue
			}
			for p := max(v.start, start); p < min(v.end, end); p += pageSize {
				off := vmaOffset(v, p)
				if off+pageSize <= lo || off >= hi {
					continue
				}
				if e := mm.PTE(p, false); e != nil && *e&(mm.PTEPresent|pteD) == mm.PTEPresent|pteD {
					*e &^= pteD
					arch.Invlpg(p)
					mm.Changed(0)
					va, i = p, j
					break
				}
			}
		}
		if i < 0 {
			mm.Flush()
			return 0
		}
		mm.Flush()
		v := vm.v[i]
		f := vmaFile(&v)
		off := vmaOffset(&v, va)
		size := fuseSize(f)
		if off >= size {
			continue // truncated meanwhile: nothing to keep
		}
		e := mm.PTE(va, false)
		if e == nil || *e&mm.PTEPresent == 0 {
			continue
		}
		if r := fusePageIO(f, uintptr(*e&mm.PTEAddr), off, int(min(size-off, pageSize)), true); r < 0 {
			return r
		}
	}
}

// fuseWrote updates the pages of shared mappings of f's file after a
// write(2) of b at off, so that the mappings see it.
func fuseWrote(f *file, b []byte, off int64) {
	if fusePages.n == 0 {
		return
	}
	ff := &fuseFiles[f.node]
	end := off + int64(len(b))
	for po := off &^ (pageSize - 1); po < end; po += pageSize {
		k := fusePageFind(ff.m, ff.nodeid, po)
		if k < 0 {
			continue
		}
		lo, hi := max(po, off), min(po+pageSize, end)
		copy(unsafeSlice(fusePages.p[k].phys+uintptr(lo-po), uintptr(hi-lo)), b[lo-off:hi-off])
	}
}

// tmpTruncated unmaps the pages of shared mappings of /tmp file node that
// lie at or past file offset from (page aligned), before the file frees
// them.
func tmpTruncated(node int, from int64) {
	for j := 0; j < vm.n; j++ {
		v := &vm.v[j]
		if !tmpShared(v) || vmaFile(v).node != node {
			continue
		}
		end := v.off + int64(v.end-v.start)
		if end <= from {
			continue
		}
		s := v.start
		if from > v.off {
			s += uintptr(from - v.off)
		}
		mm.WalkRange(s, v.end, mm.Forget, 0)
	}
}

// vmaReleaseFiles drops the file references of VMAs the table no longer
// has, queued by vmaDropFile (a release can block).
//
//go:nosplit
func vmaReleaseFiles() {
	for vmRelease.n > 0 {
		vmRelease.n--
		fileRelease(vmRelease.fi[vmRelease.n])
	}
}

// vmRelease queues description references of removed VMAs.
var vmRelease struct {
	n  int
	fi [maxVMAs * 2]int32
}

func vmaDropFile(v *vma) {
	if v.file == 0 {
		return
	}
	if vmRelease.n < len(vmRelease.fi) {
		vmRelease.fi[vmRelease.n] = v.file - 1
		vmRelease.n++
	}
	v.file = 0
}

// vmaPrepareRemove readies [start, end) for vmaRemove: dirty virtio-fs
// pages are written back and /tmp pages, which the file keeps, are
// unmapped without being freed.
//
//go:nosplit
func vmaPrepareRemove(start, end uintptr) {
	fuseWriteback(start, end, nil, 0, lockEnd)
	for j := 0; j < vm.n; j++ {
		v := &vm.v[j]
		if v.file == 0 || v.end <= start || v.start >= end {
			continue // anonymous memory (most of it) needs nothing here
		}
		switch {
		case tmpShared(v):
			mm.WalkRange(max(v.start, start), min(v.end, end), mm.Forget, 0)
		case fuseShared(v):
			fuseUnmapShared(v, max(v.start, start), min(v.end, end))
		}
	}
	mm.Flush()
}

func sysMsync(addr, length, flags, _, _, _ uintptr) int64 {
	return msync(addr, length, int32(flags))
}

func msync(addr, length uintptr, flags int32) int64 {
	if addr&(pageSize-1) != 0 || flags&^(msAsync|msInvalidate|msSync) != 0 || flags&msAsync != 0 && flags&msSync != 0 {
		return -EINVAL
	}
	end := addr + (length+pageSize-1)&^(pageSize-1)
	if end < addr {
		return -ENOMEM
	}
	for p := addr; p < end; {
		i := vmaFind(p)
		if i < 0 {
			return -ENOMEM
		}
		p = vm.v[i].end
	}
	if e := fuseWriteback(addr, end, nil, 0, lockEnd); e != 0 {
		return -EIO
	}
	return 0
}

// vmWritebackAll writes back every shared virtio-fs mapping, at exit.
func vmWritebackAll() {
	fuseWriteback(0, userMax, nil, 0, lockEnd)
}
