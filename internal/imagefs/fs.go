package imagefs

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/byteorder"
)

// FS is an opened image. It is a small value that only refers to the image
// bytes; copy it freely. Entries are identified by their index in
// [0, Len()); index 0 is "/".
//
// No method allocates. Methods taking an entry index return a zero value
// (0, "", nil, false, or -1 for indices) when the index is out of range.
// Strings and slices returned alias the image: they stay valid as long as
// the image bytes do, and must not be modified.
type FS struct {
	b        []byte // the image, exactly imageSize bytes
	n        int    // number of entries
	entries  int    // offset of the entry table
	children int    // offset of the children array
	nkids    int    // number of elements of the children array
}

// Len returns the number of entries.
func (fs FS) Len() int { return fs.n }

// Root returns the index of "/" (always 0 in a valid image).
func (fs FS) Root() int { return 0 }

// Valid reports whether i is an entry index of fs.
func (fs FS) Valid(i int) bool { return uint(i) < uint(fs.n) }

// u32 reads a uint32 field of entry i, which must be valid.
func (fs FS) u32(i, field int) uint32 {
	return byteorder.LittleEndian.Uint32(fs.b[fs.entries+i*EntrySize+field:])
}

// u64 reads a uint64 field of entry i, which must be valid.
func (fs FS) u64(i, field int) uint64 {
	return byteorder.LittleEndian.Uint64(fs.b[fs.entries+i*EntrySize+field:])
}

// str returns n image bytes at off as a string without copying.
func (fs FS) str(off, n int) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&fs.b[off], n)
}

// Path returns the clean absolute guest path of entry i ("/" for the root).
func (fs FS) Path(i int) string {
	if !fs.Valid(i) {
		return ""
	}
	return fs.str(int(fs.u64(i, ePathOff)), int(fs.u32(i, ePathLen)))
}

// Name returns the last element of the path of entry i ("/" for the root).
func (fs FS) Name(i int) string {
	if !fs.Valid(i) {
		return ""
	}
	pathLen := int(fs.u32(i, ePathLen))
	nameLen := int(fs.u32(i, eNameLen))
	return fs.str(int(fs.u64(i, ePathOff))+pathLen-nameLen, nameLen)
}

// Mode returns the Linux st_mode of entry i: one of ModeDir, ModeRegular or
// ModeSymlink or'ed with the permission bits.
func (fs FS) Mode(i int) uint32 {
	if !fs.Valid(i) {
		return 0
	}
	return fs.u32(i, eMode)
}

// IsDir reports whether entry i is a directory.
func (fs FS) IsDir(i int) bool { return fs.Mode(i)&ModeTypeMask == ModeDir }

// IsRegular reports whether entry i is a regular file.
func (fs FS) IsRegular(i int) bool { return fs.Mode(i)&ModeTypeMask == ModeRegular }

// IsSymlink reports whether entry i is a symbolic link.
func (fs FS) IsSymlink(i int) bool { return fs.Mode(i)&ModeTypeMask == ModeSymlink }

// Size returns the st_size of entry i: the content length of a regular file,
// the target length of a symlink, 0 for a directory.
func (fs FS) Size(i int) int64 {
	if !fs.Valid(i) {
		return 0
	}
	return int64(fs.u64(i, eSize))
}

// ModTimeNs returns the modification time of entry i in nanoseconds since
// the Unix epoch.
func (fs FS) ModTimeNs(i int) int64 {
	if !fs.Valid(i) {
		return 0
	}
	return int64(fs.u64(i, eMtime))
}

// Parent returns the index of the directory containing entry i. The parent
// of "/" is "/". It returns -1 for an invalid index.
func (fs FS) Parent(i int) int {
	if !fs.Valid(i) {
		return -1
	}
	return int(fs.u32(i, eParent))
}

// Data returns the content of a regular file or the target bytes of a
// symlink, as a sub-slice of the image whose capacity ends with the data.
// It returns nil for directories.
func (fs FS) Data(i int) []byte {
	if fs.IsDir(i) || !fs.Valid(i) {
		return nil
	}
	off := int(fs.u64(i, eDataOff))
	end := off + int(fs.u64(i, eSize))
	return fs.b[off:end:end]
}

// LinkTarget returns the target of symlink i as stored, or "" if i is not a
// symlink. Resolve it with [FS.Walk], never against the host.
func (fs FS) LinkTarget(i int) string {
	if !fs.IsSymlink(i) {
		return ""
	}
	return fs.str(int(fs.u64(i, eDataOff)), int(fs.u64(i, eSize)))
}

// NumChildren returns the number of entries in directory dir (without "."
// and ".."), 0 if dir is not a directory.
func (fs FS) NumChildren(dir int) int {
	if !fs.IsDir(dir) {
		return 0
	}
	return int(fs.u32(dir, eNumChildren))
}

// Child returns the index of the k-th entry of directory dir in name order,
// or -1 if k is not in [0, NumChildren(dir)).
func (fs FS) Child(dir, k int) int {
	if uint(k) >= uint(fs.NumChildren(dir)) {
		return -1
	}
	return fs.child(int(fs.u32(dir, eFirstChild)) + k)
}

// child returns element j of the children array, which must be in range.
func (fs FS) child(j int) int {
	return int(byteorder.LittleEndian.Uint32(fs.b[fs.children+j*childSize:]))
}
