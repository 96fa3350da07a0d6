package image

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// ErrOldImage is returned by ReadBootBlock for an image made by a gotoro
// from before the boot block said what the program links.
var ErrOldImage = errors.New("image made by an older gotoro: rebuild it to boot it faster")

// ReadBootBlock returns the boot block of the image file at path (Patch
// puts it in the first page).
func ReadBootBlock(path string) (bootabi.BootBlock, error) {
	var bb bootabi.BootBlock
	f, err := os.Open(path)
	if err != nil {
		return bb, err
	}
	defer f.Close()
	page := make([]byte, pageSize)
	n, err := io.ReadFull(f, page)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return bb, fmt.Errorf("reading %s: %w", path, err)
	}
	return decodeBootBlock(page[:n])
}

// decodeBootBlock finds the boot block in an image's first page.
func decodeBootBlock(page []byte) (bootabi.BootBlock, error) {
	var bb bootabi.BootBlock
	for off := 0; off+8 <= len(page); off += 16 {
		switch binary.LittleEndian.Uint64(page[off:]) {
		case bootabi.OldBootBlockMagic:
			return bb, ErrOldImage
		case bootabi.BootBlockMagic:
			if off+bootabi.BootBlockSize > len(page) {
				return bb, errors.New("the image's boot block is cut short")
			}
			_, err := binary.Decode(page[off:off+bootabi.BootBlockSize], binary.LittleEndian, &bb)
			return bb, err
		}
	}
	return bb, errors.New("the image has no boot block (not made by gotoro build)")
}
