package imagefs

import (
	"encoding/binary"
	"math"
)

// Open checks the image b and returns a reader over it. Bytes of b beyond
// the image size recorded in the header are ignored. Open does not allocate
// and does not copy b; b must not change while the FS is in use.
//
// Open validates every structural property the reader relies on, so an FS
// it returns cannot make a reader method panic or loop. A rejected image
// yields one of the FormatError constants (all match ErrFormat).
func Open(b []byte) (FS, error) {
	fs, strs, data, err := openHeader(b)
	if err != nil {
		return FS{}, err
	}
	if err := fs.checkEntries(strs, data); err != nil {
		return FS{}, err
	}
	if err := fs.checkChildren(); err != nil {
		return FS{}, err
	}
	return fs, nil
}

// OpenTrusted is Open for an image that was validated before, by Open,
// when it was made: it checks only the header (format, version, that the
// tables lie inside b), not every entry, so it costs the same for any
// tree. The guest kernel opens its own image's tree this way at boot
// (gotoro build validates the tree it packs); a tree damaged after that is
// as trusted as the kernel's own code in the same image.
func OpenTrusted(b []byte) (FS, error) {
	fs, _, _, err := openHeader(b)
	return fs, err
}

// openHeader checks b's header and the placement of its tables and
// returns an FS over it, not yet validated entry by entry.
func openHeader(b []byte) (FS, region, region, error) {
	var none region
	if len(b) < HeaderSize {
		return FS{}, none, none, ErrTruncated
	}
	if string(b[hMagic:hMagic+len(Magic)]) != Magic {
		return FS{}, none, none, ErrMagic
	}
	le := binary.LittleEndian
	if le.Uint32(b[hVersion:]) != Version {
		return FS{}, none, none, ErrVersion
	}
	if le.Uint32(b[hEntrySize:]) != EntrySize {
		return FS{}, none, none, ErrVersion
	}
	size := le.Uint64(b[hImageSize:])
	if size > uint64(len(b)) {
		return FS{}, none, none, ErrTruncated
	}
	if size < HeaderSize {
		return FS{}, none, none, ErrRegion
	}
	b = b[:size]

	count := le.Uint64(b[hEntryCount:])
	if count == 0 || count > math.MaxUint32 || count > size/EntrySize {
		return FS{}, none, none, ErrRegion
	}
	entriesOff := le.Uint64(b[hEntriesOff:])
	if !inImage(entriesOff, count*EntrySize, size) {
		return FS{}, none, none, ErrRegion
	}
	nkids := le.Uint64(b[hChildCount:])
	childrenOff := le.Uint64(b[hChildrenOff:])
	if nkids != count-1 || !inImage(childrenOff, nkids*childSize, size) {
		return FS{}, none, none, ErrRegion
	}
	strs := region{le.Uint64(b[hStringsOff:]), le.Uint64(b[hStringsLen:])}
	data := region{le.Uint64(b[hDataOff:]), le.Uint64(b[hDataLen:])}
	if !inImage(strs.off, strs.len, size) || !inImage(data.off, data.len, size) {
		return FS{}, none, none, ErrRegion
	}
	fs := FS{
		b:        b,
		n:        int(count),
		entries:  int(entriesOff),
		children: int(childrenOff),
		nkids:    int(nkids),
	}
	return fs, strs, data, nil
}

// region is a byte range of the image.
type region struct{ off, len uint64 }

// contains reports whether [off, off+n) lies inside r, without overflow.
func (r region) contains(off, n uint64) bool {
	return off >= r.off && off-r.off <= r.len && n <= r.len-(off-r.off)
}

// inImage reports whether the region [off, off+n) is 8-aligned, lies after
// the header and ends within an image of the given size, without overflow.
func inImage(off, n, size uint64) bool {
	return off%align == 0 && off >= HeaderSize && off <= size && n <= size-off
}
