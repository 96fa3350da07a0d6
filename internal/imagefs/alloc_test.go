// Host only: these tests use the packer or the option parser (not in a
// guest build).

//go:build !gotoro

package imagefs

import (
	"strings"
	"testing"
)

// TestReaderDoesNotAllocate checks that Open and every reader method run
// without allocating, as the guest kernel needs.
func TestReaderDoesNotAllocate(t *testing.T) {
	img, err := Pack(makeTree(t, fixture()), "/usr/local/go/src/strings")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(img); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a/", 100)
	paths := []string{
		"/usr/local/go/src/strings/dir/sub/deep/file.txt",
		"/usr/local/go/src/strings/ln-dir/sub/ln-up",
		"/usr/local/go/src/strings/bad0",
		"/usr/local/go/src/strings/ln-out",
		"../../x/" + long,
		"/nope",
	}
	var sink int
	allocs := testing.AllocsPerRun(20, func() {
		f, err := Open(img)
		if err != nil {
			panic(err)
		}
		for i := -1; i <= f.Len(); i++ {
			sink += f.Len() + f.Root() + len(f.Path(i)) + len(f.Name(i)) + int(f.Mode(i)) +
				int(f.Size(i)) + int(f.ModTimeNs(i)) + f.Parent(i) + len(f.Data(i)) +
				len(f.LinkTarget(i)) + f.NumChildren(i) + f.Child(i, 0)
			if f.IsDir(i) || f.IsRegular(i) || f.IsSymlink(i) || f.Valid(i) {
				sink++
			}
			c, _ := f.LookupChild(i, "one")
			l, _ := f.Lookup(f.Path(i))
			sink += c + l
		}
		for _, p := range paths {
			for _, follow := range []bool{false, true} {
				idx, errno := f.Walk(5, p, follow)
				sink += idx + errno
			}
		}
		if _, err := Open(img[:len(img)-1]); err == nil {
			panic("truncated image opened")
		}
	})
	if allocs != 0 {
		t.Errorf("reader allocates: %v allocations per run", allocs)
	}
	_ = sink
}
