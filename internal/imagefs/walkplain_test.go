// Host only: these tests use the packer or the option parser (not in a
// guest build).

//go:build !gotoro

package imagefs

import "testing"

// TestWalkPlain checks Walk's short path against the component walk on
// every seed path (both answer alike whenever the short path answers),
// and that plain absolute paths take it, found or not.
func TestWalkPlain(t *testing.T) {
	items := fixture()
	fs := mustPack(t, makeTree(t, items), "/")
	answered := 0
	for _, p := range walkSeeds(items) {
		idx, errno, ok := fs.walkPlain(p)
		if !ok {
			continue
		}
		answered++
		for _, follow := range []bool{false, true} {
			if wi, we := fs.walk(fs.Root(), p, follow); wi != idx || we != errno {
				t.Errorf("walkPlain(%q) = %d, %d; walk(%v) gives %d, %d", p, idx, errno, follow, wi, we)
			}
		}
	}
	if answered == 0 {
		t.Fatal("no seed path took the short path")
	}
	for _, p := range []string{"/one", "/dir/sub/deep/file.txt", "/nosuch", "/dir/nosuch/x", "/one/x"} {
		if _, _, ok := fs.walkPlain(p); !ok {
			t.Errorf("walkPlain(%q) left the path to the component walk", p)
		}
	}
	for _, p := range []string{"/", "one", "/dir/./sub", "/dir/sub/", "/nosuch/", "/dir/nosuch/x/", "/dir//sub", "/dir/..", "/ln-dir/x"} {
		if _, _, ok := fs.walkPlain(p); ok {
			t.Errorf("walkPlain(%q) answered; the component walk must", p)
		}
	}
}

// TestWalkNoted: WalkNoted answers as Walk does and says plain exactly
// when the short path answered (no symlink, dot or empty component met).
func TestWalkNoted(t *testing.T) {
	items := fixture()
	fs := mustPack(t, makeTree(t, items), "/")
	for _, p := range append(walkSeeds(items), "/ln-dir/x", "/dir/./sub", "/nosuch") {
		for _, follow := range []bool{false, true} {
			idx, errno, plain := fs.WalkNoted(fs.Root(), p, follow)
			wi, we := fs.Walk(fs.Root(), p, follow)
			if idx != wi || errno != we {
				t.Errorf("WalkNoted(%q, %v) = %d, %d; Walk gives %d, %d", p, follow, idx, errno, wi, we)
			}
			if _, _, ok := fs.walkPlain(p); plain != ok {
				t.Errorf("WalkNoted(%q, %v): plain %v, the short path answered: %v", p, follow, plain, ok)
			}
		}
	}
	if _, _, plain := fs.WalkNoted(fs.Root(), "/ln-dir/x", true); plain {
		t.Error("WalkNoted through a symlink says plain")
	}
}
