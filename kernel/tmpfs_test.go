package kernel

import (
	"strings"
	"testing"
)

// The /tmp tree (tmpfs.go): nodes, directories and the walk are plain
// data; file contents and symlink targets live in mapped pages and are
// covered by the boot tests (testdata/abi, testdata/files).

func resetTmp(t *testing.T) {
	t.Helper()
	saved := tmp
	tmp.nodes = [maxTmpNodes]tmpNode{}
	tmpInit()
	t.Cleanup(func() { tmp = saved })
}

func mustCreate(t *testing.T, dir int, name string, mode uint32) int {
	t.Helper()
	i, e := tmpCreate(dir, name, mode)
	if e != 0 {
		t.Fatalf("tmpCreate(%d, %q) = %d", dir, name, e)
	}
	return i
}

func TestTmpTree(t *testing.T) {
	resetTmp(t)
	a := mustCreate(t, tmpRoot, "a", tmpModeDir|0o755)
	b := mustCreate(t, a, "b", tmpModeDir|0o755)
	f := mustCreate(t, b, "file", tmpModeFile|0o644)
	if tmpChild(tmpRoot, "a") != a || tmpChild(a, "b") != b || tmpChild(b, "file") != f || tmpChild(b, "nope") != -1 {
		t.Fatal("tmpChild does not find what was created")
	}
	if tmp.nodes[a].nchildren != 1 || tmp.nodes[tmpRoot].nchildren != 1 {
		t.Errorf("child counts: root %d, a %d", tmp.nodes[tmpRoot].nchildren, tmp.nodes[a].nchildren)
	}
	var buf [pathMax]byte
	if p := tmpPath(buf[:], f); p != "/tmp/a/b/file" {
		t.Errorf("tmpPath = %q", p)
	}
	if p := tmpPath(buf[:], tmpRoot); p != "/tmp" {
		t.Errorf("tmpPath(root) = %q", p)
	}
	if _, e := tmpCreate(f, "x", tmpModeFile); e != -ENOTDIR {
		t.Errorf("create inside a file = %d, want ENOTDIR", e)
	}
	if _, e := tmpCreate(b, strings.Repeat("n", tmpNameMax+1), tmpModeFile); e != -ENAMETOOLONG {
		t.Errorf("create with a long name = %d, want ENAMETOOLONG", e)
	}

	// Unlinking a closed file frees its node for reuse; an open one
	// lives until its last close.
	tmpUnlink(f)
	if tmpChild(b, "file") != -1 || tmp.nodes[f].used || tmp.nodes[b].nchildren != 0 {
		t.Fatal("unlinked file still there")
	}
	g := mustCreate(t, b, "g", tmpModeFile)
	tmp.nodes[g].opens++
	tmpUnlink(g)
	if !tmp.nodes[g].used || tmp.nodes[g].linked {
		t.Fatal("an open unlinked file must stay allocated and unlinked")
	}
	tmpClose(g)
	if tmp.nodes[g].used {
		t.Fatal("the last close did not free the unlinked file")
	}
}

func TestTmpWalk(t *testing.T) {
	resetTmp(t)
	a := mustCreate(t, tmpRoot, "a", tmpModeDir|0o755)
	b := mustCreate(t, a, "b", tmpModeDir|0o755)
	f := mustCreate(t, b, "file", tmpModeFile|0o644)
	l := mustCreate(t, a, "link", tmpModeLink|0o777)
	tests := []struct {
		rest           string
		parent, follow bool
		node           int
		last           string
		link           int
		escape         bool
		e              int64
	}{
		{rest: "", node: tmpRoot, link: -1},
		{rest: "/a/b/file", node: f, link: -1},
		{rest: "/a//b/", node: b, link: -1},
		{rest: "/a/b/file/", e: -ENOTDIR}, // a trailing slash needs a directory
		{rest: "/a/b/file/x", e: -ENOTDIR},
		{rest: "/a/nope", e: -ENOENT},
		{rest: "/a/b/..", node: a, link: -1},
		{rest: "/a/../..", link: -1, escape: true},
		{rest: "/../etc/hosts", link: -1, escape: true},
		{rest: "/a/b/new", parent: true, node: b, last: "new", link: -1},
		{rest: "/a/b/new/", parent: true, node: b, last: "new", link: -1},
		{rest: "/a/nope/new", parent: true, e: -ENOENT},
		{rest: "", parent: true, e: -EEXIST}, // /tmp itself has no parent here
		{rest: "/" + strings.Repeat("n", tmpNameMax+1), e: -ENAMETOOLONG},
		// Symlinks: the last component is followed only with follow set;
		// an intermediate one always.
		{rest: "/a/link", node: l, link: -1},
		{rest: "/a/link", follow: true, node: a, link: l},
		{rest: "/a/link/x", node: a, link: l},
	}
	for _, tc := range tests {
		r, e := tmpWalk(tc.rest, tc.parent, tc.follow)
		if e != tc.e {
			t.Errorf("tmpWalk(%q, parent %v, follow %v): error %d, want %d", tc.rest, tc.parent, tc.follow, e, tc.e)
			continue
		}
		if e != 0 {
			continue
		}
		if r.escape != tc.escape || !tc.escape && (r.node != tc.node || r.last != tc.last || r.link != tc.link) {
			t.Errorf("tmpWalk(%q, parent %v, follow %v) = %+v, want node %d last %q link %d escape %v",
				tc.rest, tc.parent, tc.follow, r, tc.node, tc.last, tc.link, tc.escape)
		}
	}
	if r, _ := tmpWalk("/a/link/x/y", false, false); r.rest != "/x/y" {
		t.Errorf("rest after a symlink = %q, want /x/y", r.rest)
	}
	if r, _ := tmpWalk("/a/../../etc/hosts", false, false); r.rest != "/etc/hosts" {
		t.Errorf("rest after escaping = %q, want /etc/hosts", r.rest)
	}
}

func TestTmpFull(t *testing.T) {
	resetTmp(t)
	// The console message is a boot test's to check (testdata/manyfiles).
	warned := tmpNodesWarned
	tmpNodesWarned = true
	t.Cleanup(func() { tmpNodesWarned = warned })
	var buf [8]byte
	for i := 1; i < maxTmpNodes; i++ {
		name := itoa(buf[:], uint64(i))
		if _, e := tmpCreate(tmpRoot, name, tmpModeFile); e != 0 {
			t.Fatalf("create %d: %d", i, e)
		}
	}
	if _, e := tmpCreate(tmpRoot, "one-more", tmpModeFile); e != -ENOSPC {
		t.Errorf("create in a full table = %d, want ENOSPC", e)
	}
}

// itoa writes i in decimal into buf.
func itoa(buf []byte, i uint64) string {
	n := len(buf)
	for {
		n--
		buf[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(buf[n:])
		}
	}
}

// TestTmpfsWindows checks the layout of /tmp's data windows: every node's
// 1 GiB lies in the canonical lower half, above where mmap places
// mappings and below the program's stack, and outside no program range
// (userSpan refuses it).
func TestTmpfsWindows(t *testing.T) {
	if tmpfsEnd > 1<<47 {
		t.Errorf("tmpfsEnd %#x is past the canonical lower half", uint64(tmpfsEnd))
	}
	if tmpfsEnd > userStackTop-userStackSize {
		t.Errorf("tmpfsEnd %#x overlaps the stack at %#x", uint64(tmpfsEnd), uint64(userStackTop-userStackSize))
	}
	if mmapBase > tmpfsBase {
		t.Errorf("mmapBase %#x is above tmpfsBase %#x", uint64(mmapBase), uint64(tmpfsBase))
	}
	last := tmpData(maxTmpNodes - 1)
	if userSpan(last, last+pageSize) {
		t.Errorf("the last window %#x is open to the program", uint64(last))
	}
}
