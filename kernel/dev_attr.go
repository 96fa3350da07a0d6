package kernel

// The built-in character devices' modes and owners. As on Linux, chmod
// and chown of a device node (by path, through a link to it, or by a
// descriptor of it) change what stat reports for it; the device itself
// works as before (there is one user, who may open it whatever the mode
// says). Each device kind is one node: /dev/random and /dev/urandom,
// which are one device here (deviceNumber), share theirs, and so do the
// console's names (/dev/console, /dev/tty, /dev/std*, fds 0–2).

// devAttr is one device's permission bits, owner and modification
// time. The zero value is a device as every image starts with it: mode
// 0666, owned by root, modified at the epoch.
type devAttr struct {
	changed  bool   // mode is set
	mode     uint32 // permission bits (0o7777) once changed
	uid, gid uint32
	mtime    int64 // nanoseconds since the epoch
}

// devAttrs holds each device kind's attributes, indexed by kind (under
// the big lock, as the file systems' nodes).
var devAttrs [numFileKinds]devAttr

// devDefaultMode is a built-in device's permission bits until a chmod.
const devDefaultMode = 0o666

// devAttrOf returns device kind k's attributes, its mode set.
func devAttrOf(k fileKind) *devAttr {
	a := &devAttrs[k]
	if !a.changed {
		a.changed, a.mode = true, devDefaultMode
	}
	return a
}

// devPerm returns the permission bits and owner of device kind k.
func devPerm(k fileKind) (mode, uid, gid uint32) {
	a := &devAttrs[k]
	if !a.changed {
		return devDefaultMode, a.uid, a.gid
	}
	return a.mode, a.uid, a.gid
}

// devChmod sets device kind k's permission bits to mode's (chmod,
// fchmod); k must be a device (deviceNumber(k) != 0).
func devChmod(k fileKind, mode uint32) int64 {
	devAttrOf(k).mode = mode & 0o7777
	return 0
}

// devChown sets device kind k's owner and group; ^0 (-1) leaves one as
// it is. As Linux's chown of a file that is no directory, a change
// clears the set-user-ID bit and, where group-execute is set, the
// set-group-ID bit.
func devChown(k fileKind, uid, gid uint32) int64 {
	a := devAttrOf(k)
	if uid != ^uint32(0) {
		a.uid = uid
	}
	if gid != ^uint32(0) {
		a.gid = gid
	}
	if uid != ^uint32(0) || gid != ^uint32(0) {
		a.mode &^= 0o4000
		if a.mode&0o010 != 0 {
			a.mode &^= 0o2000
		}
	}
	return 0
}

// devTouch sets device kind k's modification time (mtimeKeep: as it
// is).
func devTouch(k fileKind, mtime int64) int64 {
	if mtime != mtimeKeep {
		devAttrs[k].mtime = mtime
	}
	return 0
}

// baseChmod is fchmod of a description whose kind has no chmod of its
// own: a built-in device's mode changes, other files are EROFS.
func baseChmod(f *file, mode uint32) int64 {
	if deviceNumber(f.kind) == 0 {
		return -EROFS
	}
	return devChmod(f.kind, mode)
}
