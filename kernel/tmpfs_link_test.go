package kernel

import "testing"

// walkTo is tmpWalk of rest (the path after /tmp): the node found, or -1.
func walkTo(rest string) int {
	r, e := tmpWalk(rest, false, false)
	if e != 0 {
		return -1
	}
	return r.node
}

func nlinkOf(i int) uint64 {
	var st statBuf
	fillTmpStat(&st, i)
	return st.nlink
}

// TestTmpHardLinks checks the node bookkeeping of hard links: extra
// names lead to the file, its count, unlink of an extra name, of the
// file's own name (tmpPromote moves the file into another name's
// place), of the last name of an open file, and the nodes freed.
func TestTmpHardLinks(t *testing.T) {
	resetTmp(t)
	a := mustCreate(t, tmpRoot, "a", tmpModeDir|0o755)
	f := mustCreate(t, a, "f", tmpModeFile|0o644)
	b, e := tmpHardLink(tmpRoot, "b", f)
	if e != 0 {
		t.Fatalf("tmpHardLink = %d", e)
	}
	c, e := tmpHardLink(a, "c", f)
	if e != 0 {
		t.Fatalf("tmpHardLink = %d", e)
	}
	for _, p := range []string{"/a/f", "/b", "/a/c"} {
		if got := walkTo(p); got != f {
			t.Errorf("walk %s = %d, want the file %d", p, got, f)
		}
	}
	if tmpIno(b) != f || tmpIno(c) != f || tmpIno(f) != f {
		t.Errorf("tmpIno: %d %d %d, want %d", tmpIno(b), tmpIno(c), tmpIno(f), f)
	}
	if n := nlinkOf(f); n != 3 {
		t.Errorf("nlink = %d, want 3", n)
	}
	if tmp.nodes[b].mode&tmpModeMask != tmpModeFile {
		t.Errorf("an extra name's type = %o", tmp.nodes[b].mode)
	}

	tmpUnlink(c) // an extra name
	if tmp.nodes[c].used || walkTo("/a/c") != -1 || nlinkOf(f) != 2 || tmp.nodes[a].nchildren != 1 {
		t.Fatalf("unlink of an extra name: used %v, nlink %d, a's children %d", tmp.nodes[c].used, nlinkOf(f), tmp.nodes[a].nchildren)
	}

	tmpUnlink(f) // the file's own name: it takes b's place
	if !tmp.nodes[f].used || !tmp.nodes[f].linked || tmp.nodes[b].used {
		t.Fatalf("promotion: file used %v linked %v, b's node used %v", tmp.nodes[f].used, tmp.nodes[f].linked, tmp.nodes[b].used)
	}
	if walkTo("/a/f") != -1 || walkTo("/b") != f || tmpChild(tmpRoot, "b") != f || nlinkOf(f) != 1 {
		t.Fatalf("promotion: /a/f %d, /b %d, nlink %d", walkTo("/a/f"), walkTo("/b"), nlinkOf(f))
	}
	var buf [pathMax]byte
	if p := tmpPath(buf[:], f); p != "/tmp/b" {
		t.Errorf("the promoted file's path = %q", p)
	}
	if tmp.nodes[a].nchildren != 0 || tmp.nodes[tmpRoot].nchildren != 2 {
		t.Errorf("children: a %d, root %d", tmp.nodes[a].nchildren, tmp.nodes[tmpRoot].nchildren)
	}

	// The last name of an open file: the node lives on, nlink 0.
	tmp.nodes[f].opens++
	tmpUnlink(f)
	if !tmp.nodes[f].used || tmp.nodes[f].linked || nlinkOf(f) != 0 || walkTo("/b") != -1 {
		t.Fatalf("open and unlinked: used %v linked %v nlink %d", tmp.nodes[f].used, tmp.nodes[f].linked, nlinkOf(f))
	}
	tmp.nodes[f].opens--
	tmpMaybeFree(f)
	if tmp.nodes[f].used {
		t.Error("closed and unlinked: still used")
	}
}

// TestTmpExchange checks tmpExchange of a file and a directory in two
// directories: names and directories swap, children counts stay, the
// moved directory's ".." is its new parent, and a directory's nlink
// counts its subdirectories.
func TestTmpExchange(t *testing.T) {
	resetTmp(t)
	a := mustCreate(t, tmpRoot, "a", tmpModeDir|0o755)
	d := mustCreate(t, a, "d", tmpModeDir|0o755)
	sub := mustCreate(t, d, "sub", tmpModeDir|0o755)
	f := mustCreate(t, tmpRoot, "f", tmpModeFile|0o644)
	if n := nlinkOf(a); n != 3 {
		t.Errorf("nlink of a directory with one subdirectory = %d, want 3", n)
	}
	tmpExchange(d, f)
	if walkTo("/f") != d || walkTo("/a/d") != f || walkTo("/f/sub") != sub || walkTo("/f/sub/../..") != tmpRoot {
		t.Fatalf("after exchange: /f %d, /a/d %d, /f/sub %d", walkTo("/f"), walkTo("/a/d"), walkTo("/f/sub"))
	}
	if walkTo("/f/..") != tmpRoot {
		t.Errorf("the moved directory's .. = %d, want the root", walkTo("/f/.."))
	}
	if tmp.nodes[a].nchildren != 1 || tmp.nodes[tmpRoot].nchildren != 2 || nlinkOf(a) != 2 {
		t.Errorf("children: a %d, root %d; a's nlink %d", tmp.nodes[a].nchildren, tmp.nodes[tmpRoot].nchildren, nlinkOf(a))
	}
}
