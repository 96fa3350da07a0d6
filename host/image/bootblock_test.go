package image

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gotoro/gotoro/internal/bootabi"
)

func TestDecodeBootBlock(t *testing.T) {
	want := bootabi.BootBlock{Magic: bootabi.BootBlockMagic, ImageEnd: 0x300000, Flags: bootabi.FlagNetwork, RuntimeMain: 0x148fa0, MainMain: 0x1d5500}
	enc, err := binary.Append(nil, binary.LittleEndian, want)
	if err != nil || len(enc) != bootabi.BootBlockSize {
		t.Fatalf("encoding: %d bytes, %v", len(enc), err)
	}
	page := func(off int, b []byte) []byte {
		p := make([]byte, pageSize)
		copy(p[off:], b)
		return p
	}
	old := binary.LittleEndian.AppendUint64(nil, bootabi.OldBootBlockMagic)
	for _, c := range []struct {
		name string
		page []byte
		ok   bool
		err  error
	}{
		{"found", page(0x9a0, enc), true, nil},
		{"at the page end", page(pageSize-(bootabi.BootBlockSize+15)&^15, enc), true, nil},
		{"old image", page(0x9a0, old), false, ErrOldImage},
		{"cut short", page(pageSize-16, enc[:16]), false, nil},
		{"unaligned magic is not a boot block", page(0x9a8, enc), false, nil},
		{"none", make([]byte, pageSize), false, nil},
		{"short file", []byte{1, 2, 3}, false, nil},
	} {
		bb, err := decodeBootBlock(c.page)
		if c.ok {
			if err != nil || bb != want {
				t.Errorf("%s: %+v, %v", c.name, bb, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", c.name)
		}
		if c.err != nil && !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}
}
