// Host only: these tests use the packer or the option parser (not in a
// guest build).

//go:build !gotoro

package imagefs

import (
	"encoding/binary"
	"testing"
)

// FuzzOpenWalk feeds arbitrary bytes to Open and, when they are accepted,
// exercises every reader method on every entry and a fuzzed path. Nothing
// may panic or loop, and accepted images must be self-consistent.
func FuzzOpenWalk(f *testing.F) {
	// Seeds: valid images (built in memory) and a few mangled ones.
	for _, img := range seedImages(f) {
		f.Add(img, "/d/l/f", true)
		f.Add(img, "l/../../..", false)
		bad := append([]byte(nil), img...)
		binary.LittleEndian.PutUint32(bad[len(bad)/2:], 0xffffffff)
		f.Add(bad, "/", true)
		f.Add(img[:len(img)/2], "x", false)
	}
	f.Add([]byte(Magic), "/", false)
	f.Add([]byte{}, "", false)

	f.Fuzz(func(t *testing.T, b []byte, path string, follow bool) {
		fs, err := Open(b)
		if err != nil {
			return
		}
		for i := -1; i <= fs.Len(); i++ {
			fs.Name(i)
			fs.Mode(i)
			fs.Size(i)
			fs.ModTimeNs(i)
			fs.Data(i)
			fs.LinkTarget(i)
			if j, ok := fs.Lookup(fs.Path(i)); fs.Valid(i) && (!ok || j != i) {
				t.Fatalf("Lookup(Path(%d)) = %d, %v", i, j, ok)
			}
			for k := -1; k <= fs.NumChildren(i); k++ {
				c := fs.Child(i, k)
				if c >= 0 && fs.Parent(c) != i {
					t.Fatalf("child %d of %d has parent %d", c, i, fs.Parent(c))
				}
				if j, ok := fs.LookupChild(i, fs.Name(c)); c >= 0 && (!ok || j != c) {
					t.Fatalf("LookupChild(%d, Name(%d)) = %d, %v", i, c, j, ok)
				}
			}
			if idx, errno := fs.Walk(i, path, follow); (errno == 0) != fs.Valid(idx) {
				t.Fatalf("Walk(%d, %q) = %d, %d", i, path, idx, errno)
			}
		}
	})
}

// seedImages returns valid images built from in-memory trees.
func seedImages(tb testing.TB) [][]byte {
	trees := [][]*node{
		nil,
		{
			{path: "/d", mode: ModeDir | 0o755},
			{path: "/d/f", mode: ModeRegular | 0o644, size: 5, content: []byte("hello")},
			{path: "/d/l", mode: ModeSymlink | 0o777, size: 3, link: "../"},
			{path: "/d/e", mode: ModeRegular | 0o600},
			{path: "/l", mode: ModeSymlink | 0o777, size: 4, link: "/d/l"},
			{path: "/loop", mode: ModeSymlink | 0o777, size: 4, link: "loop"},
		},
	}
	var imgs [][]byte
	for _, nodes := range trees {
		tr := newTree()
		for _, n := range nodes {
			if err := tr.add(n); err != nil {
				tb.Fatal(err)
			}
		}
		img, err := tr.encode()
		if err != nil {
			tb.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	return imgs
}

// FuzzOpenPatched overwrites eight bytes of a valid image, which reaches
// far more accepted-but-odd images than random bytes do, and checks them
// like FuzzOpenWalk.
func FuzzOpenPatched(f *testing.F) {
	imgs := seedImages(f)
	img := imgs[len(imgs)-1]
	f.Add(uint16(HeaderSize+eParent), uint64(0), "/d/f", true)
	f.Add(uint16(hStringsLen), uint64(1), "/l/f", false)
	f.Add(uint16(HeaderSize+EntrySize+eNumChildren), uint64(2), "d/l/l/e", true)
	f.Fuzz(func(t *testing.T, off uint16, val uint64, path string, follow bool) {
		b := append([]byte(nil), img...)
		if int(off)+8 <= len(b) {
			binary.LittleEndian.PutUint64(b[off:], val)
		}
		fs, err := Open(b)
		if err != nil {
			return
		}
		for i := 0; i < fs.Len(); i++ {
			if j, ok := fs.Lookup(fs.Path(i)); !ok || j != i {
				t.Fatalf("Lookup(Path(%d)) = %d, %v", i, j, ok)
			}
			if idx, errno := fs.Walk(i, path, follow); (errno == 0) != fs.Valid(idx) {
				t.Fatalf("Walk(%d, %q) = %d, %d", i, path, idx, errno)
			}
		}
	})
}
