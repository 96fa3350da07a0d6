package kernel

import "testing"

// TestProcFileOf checks procPath's short path for /proc/NAME and
// /proc/self/NAME against procLookup's walk, and that it is the path
// those names take.
func TestProcFileOf(t *testing.T) {
	var paths []string
	for e := peRoot + 1; e < numProcEnts; e++ {
		name := procTable[e].name
		paths = append(paths, "/"+name, "/self/"+name, "/1/"+name, "/self/"+name+"/x", "/"+name+"x", "/self/"+name+"/")
	}
	paths = append(paths, "", "/", "/self", "/self/", "/self/net/dev", "/self/task/1/stat",
		"/self/fd/0", "/mounts", "/self/nosuch", "/nosuch", "/sys/net/core/somaxconn", "/self/./cgroup", "/self//cgroup")
	fast := 0
	for _, p := range paths {
		r := procFileOf(p)
		if r.ent == peNone {
			continue
		}
		fast++
		if !isCleanAbs("/proc" + p) {
			t.Errorf("procFileOf(%q) = %v for a path that is not clean", p, r)
		}
		for _, follow := range []bool{false, true} {
			want, we := procLookup(&lookupBufs{}, p, follow)
			if r != want || we != 0 {
				t.Errorf("procFileOf(%q) = %v; procLookup(%q, %v) gives %v, %d", p, r, p, follow, want, we)
			}
		}
		if r.typ() != tmpModeFile {
			t.Errorf("procFileOf(%q) = %v, not a file", p, r)
		}
	}
	for _, p := range []string{"/self/cgroup", "/self/maps", "/meminfo", "/cpuinfo"} {
		if procFileOf(p).ent == peNone {
			t.Errorf("procFileOf(%q) took the walk, want the short path", p)
		}
	}
	if fast < 10 {
		t.Errorf("%d paths took the short path, want every file of the table's /proc and /proc/1", fast)
	}
}

// TestProcSnapEmpty checks that an empty text (/proc/self/cgroup's, read
// by the Go runtime at every start) is generated, read and released
// without a page: the hosted allocator has none to give.
func TestProcSnapEmpty(t *testing.T) {
	const i = 7
	s := &procSnaps[i]
	if e := procSnapFill(i, procRef{ent: pePidCgroup}); e != 0 {
		t.Fatalf("procSnapFill(cgroup) = %d, want 0 without taking a page", e)
	}
	if !s.made || s.table != 0 || s.size != 0 || s.pages != 0 {
		t.Fatalf("after an empty text: %+v, want made, no table, no pages", *s)
	}
	var b [16]byte
	if n := s.copyOut(b[:], 0); n != 0 {
		t.Errorf("copyOut of an empty text = %d bytes", n)
	}
	s.free()
	if *s != (procSnap{}) {
		t.Errorf("after free: %+v, want the zero snapshot", *s)
	}
}
