package kernel

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestStatxLayout checks statxBuf against golang.org/x/sys/unix's
// Statx_t, field by field.
func TestStatxLayout(t *testing.T) {
	var k statxBuf
	var u unix.Statx_t
	if a, b := unsafe.Sizeof(k), unsafe.Sizeof(u); a != 256 || a != b {
		t.Fatalf("sizeof statxBuf %d, Statx_t %d, want 256", a, b)
	}
	for _, c := range []struct {
		name string
		k, u uintptr
	}{
		{"mask", unsafe.Offsetof(k.mask), unsafe.Offsetof(u.Mask)},
		{"blksize", unsafe.Offsetof(k.blksize), unsafe.Offsetof(u.Blksize)},
		{"attributes", unsafe.Offsetof(k.attributes), unsafe.Offsetof(u.Attributes)},
		{"nlink", unsafe.Offsetof(k.nlink), unsafe.Offsetof(u.Nlink)},
		{"uid", unsafe.Offsetof(k.uid), unsafe.Offsetof(u.Uid)},
		{"gid", unsafe.Offsetof(k.gid), unsafe.Offsetof(u.Gid)},
		{"mode", unsafe.Offsetof(k.mode), unsafe.Offsetof(u.Mode)},
		{"ino", unsafe.Offsetof(k.ino), unsafe.Offsetof(u.Ino)},
		{"size", unsafe.Offsetof(k.size), unsafe.Offsetof(u.Size)},
		{"blocks", unsafe.Offsetof(k.blocks), unsafe.Offsetof(u.Blocks)},
		{"attributes_mask", unsafe.Offsetof(k.attributesMask), unsafe.Offsetof(u.Attributes_mask)},
		{"atime", unsafe.Offsetof(k.atime), unsafe.Offsetof(u.Atime)},
		{"btime", unsafe.Offsetof(k.btime), unsafe.Offsetof(u.Btime)},
		{"ctime", unsafe.Offsetof(k.ctime), unsafe.Offsetof(u.Ctime)},
		{"mtime", unsafe.Offsetof(k.mtime), unsafe.Offsetof(u.Mtime)},
		{"rdev_major", unsafe.Offsetof(k.rdevMajor), unsafe.Offsetof(u.Rdev_major)},
		{"rdev_minor", unsafe.Offsetof(k.rdevMinor), unsafe.Offsetof(u.Rdev_minor)},
		{"dev_major", unsafe.Offsetof(k.devMajor), unsafe.Offsetof(u.Dev_major)},
		{"dev_minor", unsafe.Offsetof(k.devMinor), unsafe.Offsetof(u.Dev_minor)},
		{"mnt_id", unsafe.Offsetof(k.mntID), unsafe.Offsetof(u.Mnt_id)},
	} {
		if c.k != c.u {
			t.Errorf("offset of %s: %d, Statx_t's %d", c.name, c.k, c.u)
		}
	}
}

// TestDevMajorMinor checks the split of device numbers against
// golang.org/x/sys/unix's Major and Minor.
func TestDevMajorMinor(t *testing.T) {
	for _, d := range []uint64{0, 1, devTmp, procDev, devFuse0, 1<<8 | 3, 259<<8 | 17, unix.Mkdev(4095, 255),
		unix.Mkdev(4096, 256), unix.Mkdev(0x7fffffff, 0xfffff), unix.Mkdev(1, 1<<20-1)} {
		if got, want := devMajor(d), unix.Major(d); got != want {
			t.Errorf("devMajor(%#x) = %d, want %d", d, got, want)
		}
		if got, want := devMinor(d), unix.Minor(d); got != want {
			t.Errorf("devMinor(%#x) = %d, want %d", d, got, want)
		}
	}
}

// TestFillStatx checks the conversion of a struct stat: every field,
// the mask, the mount's id and root attribute.
func TestFillStatx(t *testing.T) {
	st := statBuf{dev: devTmp, ino: 7, nlink: 3, mode: 0o100640, uid: 5, gid: 6, rdev: uint64(unix.Mkdev(1, 3)),
		size: 5000, blksize: 4096, blocks: 16, atime: 10, atimeNs: 11, mtime: 20, mtimeNs: 21, ctime: 30, ctimeNs: 31}
	var x statxBuf
	fillStatx(&x, &st, 0)
	want := statxBuf{mask: statxBasicStats | statxMntID, blksize: 4096, nlink: 3, uid: 5, gid: 6, mode: 0o100640,
		ino: 7, size: 5000, blocks: 16, attributesMask: statxAttrsKnown,
		atime: statxTimestamp{sec: 10, nsec: 11}, mtime: statxTimestamp{sec: 20, nsec: 21}, ctime: statxTimestamp{sec: 30, nsec: 31},
		rdevMajor: 1, rdevMinor: 3, devMajor: 0, devMinor: devTmp, mntID: 4}
	if x != want {
		t.Errorf("fillStatx:\n got %+v\nwant %+v", x, want)
	}
	fillStatx(&x, &st, statxMntIDUnique)
	if x.mask != statxBasicStats|statxMntIDUnique || x.mntID != 4 {
		t.Errorf("with STATX_MNT_ID_UNIQUE: mask %#x, mnt_id %d", x.mask, x.mntID)
	}
	for _, c := range []struct {
		dev, ino uint64
		mode     uint32
		id       int
		root     bool
	}{
		{devImage, 1, tmpModeDir, 1, true},
		{devImage, 2, tmpModeFile, 1, false},
		{devTmp, tmpRoot + 1, tmpModeDir, 4, true},
		{procDev, uint64(procRef{ent: peRoot}.node()) + 1, tmpModeDir, 3, true},
		{procDev, uint64(procRef{ent: pePid}.node()) + 1, tmpModeDir, 3, false},
		{devDev, 3, tmpModeChr, 2, false},
		{devDev, 3, 0o010600, 0, false}, // a pipe
		{devDev, 3, 0o600, 0, false},    // an eventfd
		{3, 1, tmpModeFile, 0, false},   // a built-in file
		{8, 1, tmpModeSock, 0, false},   // a socket
		{devFuse0, 1, tmpModeDir, 0, false},
	} {
		fillStatx(&x, &statBuf{dev: c.dev, ino: c.ino, mode: c.mode}, 0)
		if int(x.mntID) != c.id || (x.mask&statxMntID != 0) != (c.id > 0) || (x.attributes&statxAttrMountRoot != 0) != c.root {
			t.Errorf("dev %d ino %d: mnt_id %d, mask %#x, attributes %#x; want id %d, mount root %v", c.dev, c.ino, x.mntID, x.mask, x.attributes, c.id, c.root)
		}
	}
}
