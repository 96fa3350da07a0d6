package imagefs

import (
	"github.com/gotoro/gotoro/internal/byteorder"
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
// when it was made: it checks only that b is an image of this format and
// version no shorter than its recorded size (readHeader), not where its
// tables lie nor any entry, so it costs the same for any tree and runs
// few distinct instructions. The guest kernel opens its own image's tree
// this way at boot (gotoro build validates the tree it packs); a tree
// damaged after that is as trusted as the kernel's own code in the same
// image.
func OpenTrusted(b []byte) (FS, error) {
	h, err := readHeader(b)
	if err != nil {
		return FS{}, err
	}
	return h.fs(b), nil
}

// header is an image's header as read, not yet checked beyond its format.
type header struct {
	size, count, entriesOff, nkids, childrenOff uint64
	strs, data                                  region
}

// readHeader reads b's header: it checks b's length, the magic, the
// version and the entry size, and that the recorded size fits in b.
//
//go:nosplit
func readHeader(b []byte) (header, error) {
	if len(b) < HeaderSize {
		return header{}, ErrTruncated
	}
	if string(b[hMagic:hMagic+len(Magic)]) != Magic {
		return header{}, ErrMagic
	}
	le := byteorder.LittleEndian
	if le.Uint32(b[hVersion:]) != Version || le.Uint32(b[hEntrySize:]) != EntrySize {
		return header{}, ErrVersion
	}
	h := header{
		size:        le.Uint64(b[hImageSize:]),
		count:       le.Uint64(b[hEntryCount:]),
		entriesOff:  le.Uint64(b[hEntriesOff:]),
		nkids:       le.Uint64(b[hChildCount:]),
		childrenOff: le.Uint64(b[hChildrenOff:]),
		strs:        region{le.Uint64(b[hStringsOff:]), le.Uint64(b[hStringsLen:])},
		data:        region{le.Uint64(b[hDataOff:]), le.Uint64(b[hDataLen:])},
	}
	if h.size > uint64(len(b)) {
		return header{}, ErrTruncated
	}
	return h, nil
}

// fs returns the FS over b that h describes.
func (h header) fs(b []byte) FS {
	return FS{
		b:        b[:h.size],
		n:        int(h.count),
		entries:  int(h.entriesOff),
		children: int(h.childrenOff),
		nkids:    int(h.nkids),
	}
}

// openHeader checks b's header and the placement of its tables and
// returns an FS over it, not yet validated entry by entry.
func openHeader(b []byte) (FS, region, region, error) {
	var none region
	h, err := readHeader(b)
	if err != nil {
		return FS{}, none, none, err
	}
	size, count := h.size, h.count
	if size < HeaderSize {
		return FS{}, none, none, ErrRegion
	}
	if count == 0 || count > 1<<32-1 || count > size/EntrySize {
		return FS{}, none, none, ErrRegion
	}
	if !inImage(h.entriesOff, count*EntrySize, size) {
		return FS{}, none, none, ErrRegion
	}
	if h.nkids != count-1 || !inImage(h.childrenOff, h.nkids*childSize, size) {
		return FS{}, none, none, ErrRegion
	}
	if !inImage(h.strs.off, h.strs.len, size) || !inImage(h.data.off, h.data.len, size) {
		return FS{}, none, none, ErrRegion
	}
	return h.fs(b), h.strs, h.data, nil
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
