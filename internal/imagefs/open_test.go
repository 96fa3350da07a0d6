// Host only: these tests use the packer or the option parser (not in a
// guest build).

//go:build !gotoro

package imagefs

import (
	"encoding/binary"
	"errors"
	"testing"
)

// smallImage packs a tree with one of each kind of entry.
func smallImage(t testing.TB) []byte {
	img, err := Pack(makeTree(t, []item{
		{path: "d", kind: 'd'},
		{path: "d/f", kind: 'f', content: "hello"},
		{path: "d/l", kind: 'l', content: "../d"},
		{path: "e", kind: 'f'},
	}), "/m")
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestOpenTrailingBytes checks that bytes after the image are ignored.
func TestOpenTrailingBytes(t *testing.T) {
	img := smallImage(t)
	padded := append(append([]byte(nil), img...), make([]byte, 4096)...)
	fs, err := Open(padded)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs.b) != len(img) {
		t.Errorf("FS covers %d bytes, want %d", len(fs.b), len(img))
	}
}

// TestOpenRejects corrupts a valid image field by field and checks that
// Open names the problem.
func TestOpenRejects(t *testing.T) {
	img := smallImage(t)
	fs, err := Open(img)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	entry := func(path string) int {
		i, ok := fs.Lookup(path)
		if !ok {
			t.Fatalf("no %s", path)
		}
		return fs.entries + i*EntrySize
	}
	f, d, m := entry("/m/d/f"), entry("/m/d"), entry("/m")
	tests := []struct {
		name  string
		patch func(b []byte)
		want  error
	}{
		{"short", nil, ErrTruncated},
		{"magic", func(b []byte) { b[0] = 'g' }, ErrMagic},
		{"version", func(b []byte) { le.PutUint32(b[hVersion:], 2) }, ErrVersion},
		{"entry size", func(b []byte) { le.PutUint32(b[hEntrySize:], 32) }, ErrVersion},
		{"image size", func(b []byte) { le.PutUint64(b[hImageSize:], uint64(len(b))+1) }, ErrTruncated},
		{"tiny size", func(b []byte) { le.PutUint64(b[hImageSize:], 8) }, ErrRegion},
		{"no entries", func(b []byte) { le.PutUint64(b[hEntryCount:], 0) }, ErrRegion},
		{"many entries", func(b []byte) { le.PutUint64(b[hEntryCount:], 1<<40) }, ErrRegion},
		{"child count", func(b []byte) { le.PutUint64(b[hChildCount:], 1) }, ErrRegion},
		{"misaligned", func(b []byte) { le.PutUint64(b[hDataOff:], le.Uint64(b[hDataOff:])+1) }, ErrRegion},
		{"strings past end", func(b []byte) { le.PutUint64(b[hStringsLen:], ^uint64(0)) }, ErrRegion},
		{"path out of strings", func(b []byte) { le.PutUint64(b[f+ePathOff:], 0) }, ErrEntryPath},
		{"empty path", func(b []byte) { le.PutUint32(b[f+ePathLen:], 0) }, ErrEntryPath},
		{"long name", func(b []byte) { le.PutUint32(b[f+eNameLen:], 100) }, ErrEntryPath},
		{"short name", func(b []byte) { le.PutUint32(b[f+eNameLen:], 0) }, ErrEntryPath},
		{"name with slash", func(b []byte) { le.PutUint32(b[f+eNameLen:], 3) }, ErrEntryPath},
		{"root", func(b []byte) { le.PutUint32(b[HeaderSize+eMode:], ModeRegular) }, ErrRoot},
		{"type", func(b []byte) { le.PutUint32(b[f+eMode:], 0o060644) }, ErrEntryType},
		{"mode bits", func(b []byte) { le.PutUint32(b[f+eMode:], ModeRegular|0o10000) }, ErrEntryType},
		{"parent", func(b []byte) { le.PutUint32(b[f+eParent:], uint32((m-fs.entries)/EntrySize)) }, ErrParent},
		{"parent after", func(b []byte) { le.PutUint32(b[d+eParent:], 99) }, ErrParent},
		{"order", func(b []byte) { b[le.Uint64(b[f+ePathOff:])+5] = 'z' }, ErrEntryOrder},
		{"data", func(b []byte) { le.PutUint64(b[f+eSize:], 1<<62) }, ErrEntryData},
		{"data misaligned", func(b []byte) { le.PutUint64(b[f+eDataOff:], le.Uint64(b[f+eDataOff:])+1) }, ErrEntryData},
		{"dir size", func(b []byte) { le.PutUint64(b[d+eSize:], 1) }, ErrEntryData},
		{"file children", func(b []byte) { le.PutUint32(b[f+eNumChildren:], 1) }, ErrChildren},
		{"dir children", func(b []byte) { le.PutUint32(b[d+eNumChildren:], 1) }, ErrChildren},
		{"first child", func(b []byte) { le.PutUint32(b[d+eFirstChild:], 1<<31) }, ErrChildren},
		{"child swap", func(b []byte) {
			first := fs.children + int(le.Uint32(b[d+eFirstChild:]))*childSize
			x, y := le.Uint32(b[first:]), le.Uint32(b[first+childSize:])
			le.PutUint32(b[first:], y)
			le.PutUint32(b[first+childSize:], x)
		}, ErrChildren},
		{"child is root", func(b []byte) { le.PutUint32(b[fs.children:], 0) }, ErrChildren},
	}
	for _, tc := range tests {
		b := append([]byte(nil), img...)
		if tc.patch == nil {
			b = b[:HeaderSize-1]
		} else {
			tc.patch(b)
		}
		_, err := Open(b)
		if err != tc.want || !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Open = %v, want %v", tc.name, err, tc.want)
		}
		if n := testing.AllocsPerRun(5, func() { Open(b) }); n != 0 {
			t.Errorf("%s: Open allocates %v times", tc.name, n)
		}
		// OpenTrusted checks the format and the size (the errors up to
		// ErrVersion and ErrTruncated), not the tables' placement nor
		// the entries.
		_, err = OpenTrusted(b)
		switch tc.want {
		case ErrTruncated, ErrMagic, ErrVersion:
			if err != tc.want {
				t.Errorf("%s: OpenTrusted = %v, want %v", tc.name, err, tc.want)
			}
		default:
			if err != nil {
				t.Errorf("%s: OpenTrusted = %v, want no entry checks", tc.name, err)
			}
		}
		if n := testing.AllocsPerRun(5, func() { OpenTrusted(b) }); n != 0 {
			t.Errorf("%s: OpenTrusted allocates %v times", tc.name, n)
		}
	}
}

// TestOpenTrustedSameFS checks that OpenTrusted of a valid image reads as
// Open's does.
func TestOpenTrustedSameFS(t *testing.T) {
	img := smallImage(t)
	a, err := Open(img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenTrusted(img)
	if err != nil {
		t.Fatal(err)
	}
	if a.n != b.n || a.entries != b.entries || a.children != b.children || a.nkids != b.nkids || len(a.b) != len(b.b) {
		t.Errorf("OpenTrusted %+v, Open %+v", b, a)
	}
}

// TestOpenTruncated checks every truncation of a valid image.
func TestOpenTruncated(t *testing.T) {
	img := smallImage(t)
	for n := 0; n < len(img); n++ {
		if _, err := Open(img[:n]); err == nil {
			t.Fatalf("Open of %d of %d bytes succeeded", n, len(img))
		}
	}
}
