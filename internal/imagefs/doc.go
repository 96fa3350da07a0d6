// Package imagefs is a read-only file tree packed into one byte slice.
//
// The host image builder packs host directories with [Pack] or [PackMulti]
// and appends the result to a bootable image; the guest kernel maps it and
// reads it in place with [Open] and the methods of [FS]. Every reader method
// works without allocating, so the kernel may call it where the Go heap is
// not available: strings returned by the reader alias the image bytes, and
// errors are constants or Linux errno values.
//
// # Format (version 1)
//
// All integers are little endian. Every region starts at an offset that is a
// multiple of 8 from the start of the image, so an image placed at an
// 8-byte-aligned address can be read with aligned loads. Offsets are absolute
// (from the first byte of the header).
//
//	header   96 bytes at offset 0
//	entries  entryCount × 64 bytes, sorted by full guest path (byte-wise)
//	children childCount × uint32 entry indices, padded to 8 bytes
//	strings  the full guest path of every entry, back to back, padded to 8
//	data     file contents and symlink targets, each starting 8-aligned
//
// Header:
//
//	off  size  field
//	  0     8  magic "GOTOROFS"
//	  8     4  version (1)
//	 12     4  entry size (64)
//	 16     8  entryCount (>= 1)
//	 24     8  entriesOff
//	 32     8  childCount (= entryCount-1: every entry but "/" is a child)
//	 40     8  childrenOff
//	 48     8  stringsOff
//	 56     8  stringsLen
//	 64     8  dataOff
//	 72     8  dataLen
//	 80     8  imageSize (bytes of the image; trailing bytes are ignored)
//	 88     8  reserved (0)
//
// Entry:
//
//	off  size  field
//	  0     8  pathOff: absolute offset of the path in the strings region
//	  8     4  pathLen: length of the clean absolute guest path
//	 12     4  nameLen: length of the last path element (1 for "/")
//	 16     4  parent: index of the parent directory ("/" is its own parent)
//	 20     4  mode: Linux st_mode, type (S_IFDIR, S_IFREG, S_IFLNK) | perm
//	 24     8  size: bytes of file content or of the symlink target; 0 for dirs
//	 32     8  dataOff: absolute offset of the content (dataOff % 8 == 0)
//	 40     8  mtime: modification time in ns since the Unix epoch (int64)
//	 48     4  firstChild: index into the children array (dirs)
//	 52     4  numChildren (dirs; 0 otherwise)
//	 56     8  reserved (0)
//
// Entry 0 is always "/". Because entries are sorted by full path, the parent
// of an entry has a smaller index than the entry, and [FS.Lookup] is a binary
// search. The children of a directory are the contiguous run
// children[firstChild : firstChild+numChildren], sorted by name byte-wise,
// which is the order getdents reports them in and what [FS.LookupChild]
// binary-searches.
//
// Symlink targets are stored as written on the host. The reader resolves them
// inside the image only: an absolute target starts at the image root, and
// ".." never climbs above "/" (see [FS.Walk]).
//
// [Open] checks the whole structure once (bounds, sort order, parent and
// child links, names), so that no later reader call can index out of range
// or loop, whatever bytes it was given.
package imagefs
