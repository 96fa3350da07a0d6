// Host only: these tests use the packer or the option parser (not in a
// guest build).

//go:build !gotoro

package imagefs

import (
	"strings"
	"testing"
)

// walkCase is one Walk call: from the directory at path from (the mount
// point if empty), resolve path; want is the resolved entry's path, or ""
// when errno is expected.
type walkCase struct {
	from   string
	path   string
	follow bool
	want   string
	errno  int
}

// TestWalkRoot resolves paths in the fixture packed at "/".
func TestWalkRoot(t *testing.T) {
	fs := mustPack(t, makeTree(t, fixture()), "/")
	long := strings.Repeat("n", 255)
	cases := []walkCase{
		// Plain paths, slashes, "." and "..".
		{path: "/", want: "/"},
		{path: "///", want: "/"},
		{path: "", errno: ENOENT},
		{path: "/one", want: "/one"},
		{path: "one", want: "/one"},
		{path: ".", want: "/"},
		{path: "./", want: "/"},
		{path: "/dir//sub///deep/file.txt", want: "/dir/sub/deep/file.txt"},
		{path: "/dir/sub/", want: "/dir/sub"},
		{path: "/dir/sub//", want: "/dir/sub"},
		{path: "/dir/./sub/.", want: "/dir/sub"},
		{path: "/dir/sub/..", want: "/dir"},
		{path: "/dir/sub/../", want: "/dir"},
		{path: "/..", want: "/"},
		{path: "/../../..", want: "/"},
		{path: "../../one", want: "/one"},
		{from: "/dir/sub", path: "../a", want: "/dir/a"},
		{from: "/dir/sub", path: "../../../../one", want: "/one"},
		{from: "/dir/sub", path: "deep/file.txt", want: "/dir/sub/deep/file.txt"},
		{from: "/dir/sub", path: "/one", want: "/one"},
		{path: "/a-b", want: "/a-b"},
		{path: "/a.b", want: "/a.b"},
		{path: "/a/x", want: "/a/x"},
		{path: "/empty", want: "/empty"},
		{path: "/dir/sub/deep/file.txt/", errno: ENOTDIR},
		{path: "/dir/sub/deep/file.txt/.", errno: ENOTDIR},
		{path: "/one/..", errno: ENOTDIR},
		{path: "/one/x", errno: ENOTDIR},
		{path: "/missing", errno: ENOENT},
		{path: "/missing/", errno: ENOENT},
		{path: "/missing/x", errno: ENOENT},
		{path: "/dir/missing/..", errno: ENOENT},
		{path: "/DIR", errno: ENOENT},
		{path: "/a-", errno: ENOENT},

		// Symlinks, last component and intermediate.
		{path: "/ln-file", follow: true, want: "/one"},
		{path: "/ln-file", want: "/ln-file"},
		{path: "/ln-file/", errno: ENOTDIR},
		{path: "/ln-dir", want: "/ln-dir"},
		{path: "/ln-dir", follow: true, want: "/dir"},
		{path: "/ln-dir/", want: "/dir"},
		{path: "/ln-dir/.", want: "/dir"},
		{path: "/ln-dir/sub", want: "/dir/sub"},
		{path: "/ln-dir/..", want: "/"},
		{path: "/ln-to-ln-dir", follow: true, want: "/dir/sub"},
		{path: "/ln-to-ln-dir/deep", want: "/dir/sub/deep"},
		{path: "/ln-abs", follow: true, want: "/dir/sub"},
		{path: "/ln-abs/deep/file.txt", want: "/dir/sub/deep/file.txt"},
		{path: "/ln-abs/..", want: "/dir"},
		{path: "/ln-abs-root", follow: true, want: "/"},
		{path: "/ln-abs-root/one", want: "/one"},
		{path: "/ln-abs-root/ln-abs-root/ln-dir/a", want: "/dir/a"},
		{path: "/ln-dotdot", follow: true, want: "/one"},
		{path: "/dir/sub/ln-up", follow: true, want: "/one"},
		{path: "/dir/sub/ln-up", want: "/dir/sub/ln-up"},
		{path: "/ln-trailing", follow: true, want: "/dir"},
		{path: "/ln-trailing/a", want: "/dir/a"},
		{path: "/ln-file-slash", follow: true, errno: ENOTDIR},
		{path: "/ln-file-slash", want: "/ln-file-slash"},
		{path: "/ln-dangling", want: "/ln-dangling"},
		{path: "/ln-dangling", follow: true, errno: ENOENT},
		{path: "/ln-dangling/", errno: ENOENT},

		// Symlinks aimed outside the tree stay inside the image.
		{path: "/ln-out", follow: true, want: "/etc/passwd"},
		{path: "/dir/sub/ln-top", follow: true, want: "/one"},
		{path: "/ln-host", follow: true, errno: ENOENT},
		{path: "/ln-host/..", errno: ENOENT},

		// Loops and the hop limit.
		{path: "/ln-loop1", want: "/ln-loop1"},
		{path: "/ln-loop1", follow: true, errno: ELOOP},
		{path: "/ln-loop1/x", errno: ELOOP},
		{path: "/ln-loop1/", errno: ELOOP},
		{path: "/ln-self", follow: true, errno: ELOOP},
		{path: "/ok0", follow: true, want: "/one"},
		{path: "/bad1", follow: true, want: "/one"},
		{path: "/bad0", follow: true, errno: ELOOP},
		{path: "/bad0", want: "/bad0"},
		{path: "/ok0/", errno: ENOTDIR},

		// Length limits.
		{path: "/" + long, want: "/" + long},
		{path: "/" + long + "n", errno: ENAMETOOLONG},
		{path: "/missing/" + long + "n", errno: ENOENT},
		{path: "/dir/" + long + "n/..", errno: ENAMETOOLONG},
		{path: strings.Repeat("/", MaxPath), want: "/"},
		{path: strings.Repeat("/", MaxPath+1), errno: ENAMETOOLONG},
		{path: strings.Repeat("./", MaxPath/2) + "on", errno: ENAMETOOLONG}, // 4096 bytes
		{path: strings.Repeat("./", MaxPath/2-1) + "one", want: "/one"},     // 4095 bytes
	}
	runWalkCases(t, fs, "/", cases)
}

// TestWalkDeep resolves paths in the fixture packed below the root.
func TestWalkDeep(t *testing.T) {
	const g = "/usr/local/go/src/strings"
	fs := mustPack(t, makeTree(t, fixture()), g)
	cases := []walkCase{
		{from: "/", path: g + "/one", want: g + "/one"},
		{from: "/", path: "usr/local/../local/go", want: "/usr/local/go"},
		{from: "/", path: "/usr/../../usr/local", want: "/usr/local"},
		{path: "one", want: g + "/one"},
		{path: "..", want: "/usr/local/go/src"},
		{path: "../../../../../../..", want: "/"},
		{path: "dir/sub/ln-up", follow: true, want: g + "/one"},
		{path: "ln-dotdot", follow: true, want: g + "/one"},
		{path: "ln-dir/sub/deep", want: g + "/dir/sub/deep"},
		// Absolute targets start at the image root, where the tree is not.
		{path: "ln-abs", follow: true, errno: ENOENT},
		{path: "ln-abs-root/usr/local", follow: true, want: "/usr/local"},
		// Climbing out of the mount reaches the image's parents of it.
		{path: "ln-out", follow: true, errno: ENOENT},
		{path: "dir/sub/ln-top", follow: true, errno: ENOENT},
		{path: "bad0", follow: true, errno: ELOOP},
	}
	runWalkCases(t, fs, g, cases)
}

// TestWalkBadStart checks relative walks from something not a directory.
func TestWalkBadStart(t *testing.T) {
	fs := mustPack(t, makeTree(t, fixture()), "/")
	one, _ := fs.Lookup("/one")
	link, _ := fs.Lookup("/ln-dir")
	for _, tc := range []struct {
		dir   int
		path  string
		want  int
		errno int
	}{
		{one, "x", -1, ENOTDIR},
		{one, ".", -1, ENOTDIR},
		{link, "a", -1, ENOTDIR},
		{-1, "x", -1, EBADF},
		{fs.Len(), ".", -1, EBADF},
		{-1, "/one", one, 0},
		{fs.Len(), "/", 0, 0},
	} {
		if idx, errno := fs.Walk(tc.dir, tc.path, true); idx != tc.want || errno != tc.errno {
			t.Errorf("Walk(%d, %q) = %d, %d; want %d, %d", tc.dir, tc.path, idx, errno, tc.want, tc.errno)
		}
	}
	var zero FS
	if idx, errno := zero.Walk(0, "/x", true); errno != ENOENT {
		t.Errorf("zero FS: Walk = %d, %d; want ENOENT", idx, errno)
	}
}

// runWalkCases runs cases, starting relative paths at base unless the case
// names another directory.
func runWalkCases(t *testing.T, fs FS, base string, cases []walkCase) {
	t.Helper()
	for _, tc := range cases {
		from := tc.from
		if from == "" {
			from = base
		}
		dir, ok := fs.Lookup(from)
		if !ok {
			t.Fatalf("no directory %s", from)
		}
		idx, errno := fs.Walk(dir, tc.path, tc.follow)
		got := ""
		if errno == 0 {
			got = fs.Path(idx)
		} else if idx != -1 {
			t.Errorf("Walk(%s, %.60q, %v) = %d with errno %d, want -1", from, tc.path, tc.follow, idx, errno)
		}
		if got != tc.want || errno != tc.errno {
			t.Errorf("Walk(%s, %.60q, %v) = %q, errno %d; want %q, errno %d",
				from, tc.path, tc.follow, got, errno, tc.want, tc.errno)
		}
	}
}
