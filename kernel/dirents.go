package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/imagefs"
)

// getdents64 for the packed tree and /tmp.

// sysGetdents64 lists a directory: ".", "..", then the children in name
// order. The offset counts entries.
func sysGetdents64(fd, buf, n, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind == fkTmpDir {
		return tmpGetdents(f, buf, n)
	}
	if f.kind == fkFuseDir {
		b, ok := userBytes(buf, n, true)
		if !ok {
			return -EFAULT
		}
		return fuseGetdents(f, b)
	}
	if f.kind != fkDir {
		return -ENOTDIR
	}
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	nkids := int64(rootFS.NumChildren(f.node))
	w := 0
	for f.off < nkids+2 {
		var name string
		var node int
		switch f.off {
		case 0:
			name, node = ".", f.node
		case 1:
			name, node = "..", rootFS.Parent(f.node)
		default:
			node = rootFS.Child(f.node, int(f.off-2))
			name = rootFS.Name(node)
		}
		reclen := (19 + len(name) + 1 + 7) &^ 7
		if w+reclen > len(b) {
			if w == 0 {
				return -EINVAL
			}
			break
		}
		d := b[w : w+reclen]
		clear(d)
		*(*uint64)(unsafe.Pointer(&d[0])) = uint64(node) + 1
		*(*int64)(unsafe.Pointer(&d[8])) = f.off + 1
		*(*uint16)(unsafe.Pointer(&d[16])) = uint16(reclen)
		d[18] = direntType(rootFS.Mode(node))
		copy(d[19:], name)
		w += reclen
		f.off++
	}
	return int64(w)
}

func direntType(mode uint32) byte {
	switch mode & imagefs.ModeTypeMask {
	case imagefs.ModeDir:
		return 4
	case imagefs.ModeRegular:
		return 8
	case imagefs.ModeSymlink:
		return 10
	}
	return 0
}

// tmpGetdents lists a tmpfs directory: ".", "..", then the children.
func tmpGetdents(f *file, buf, n uintptr) int64 {
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	d := &tmp.nodes[f.node]
	// Find the child at position f.off-2.
	c := d.firstChild
	for k := int64(2); k < f.off && c >= 0; k++ {
		c = tmp.nodes[c].nextSibling
	}
	w := 0
	for {
		var name string
		var ino uint64
		var typ byte = 4
		switch {
		case f.off == 0:
			name, ino = ".", uint64(f.node)+1
		case f.off == 1:
			name, ino = "..", uint64(d.parent)+1
		case c >= 0:
			cn := &tmp.nodes[c]
			name, ino = cn.nameStr(), uint64(c)+1
			switch {
			case cn.isSymlink():
				typ = 10
			case !cn.isDir():
				typ = 8
			}
		default:
			return int64(w)
		}
		reclen := (19 + len(name) + 1 + 7) &^ 7
		if w+reclen > len(b) {
			if w == 0 {
				return -EINVAL
			}
			return int64(w)
		}
		e := b[w : w+reclen]
		clear(e)
		*(*uint64)(unsafe.Pointer(&e[0])) = ino
		*(*int64)(unsafe.Pointer(&e[8])) = f.off + 1
		*(*uint16)(unsafe.Pointer(&e[16])) = uint16(reclen)
		e[18] = typ
		copy(e[19:], name)
		w += reclen
		if f.off >= 2 {
			c = tmp.nodes[c].nextSibling
		}
		f.off++
	}
}
