package kernel

import "testing"

// newTestEpoll makes a description of epoll instance ep, marked used.
func newTestEpoll(ep int32) int32 {
	fi := fileAlloc(fkEpoll, oRdwr)
	files[fi].ep = ep
	epolls[ep].used = true
	return fi
}

// TestEpollNestedReadiness checks an instance's own readiness: EPOLLIN
// while a registration would report, and a look that consumes nothing
// (an edge not yet collected stays an edge).
func TestEpollNestedReadiness(t *testing.T) {
	resetFiles(t)
	inner := newTestEpoll(1)
	f := &files[inner]
	ev := newTestEventfd(0)
	if e := epollRegister(&epolls[1], epollCtlAdd, 3, ev, epollIn|epollET, 0); e != 0 {
		t.Fatal(e)
	}
	if r := f.ops().readiness(f); r != 0 {
		t.Fatalf("nothing ready: readiness %#x", r)
	}
	g := f.ops().gen(f)
	files[ev].count = 1
	fileChanged(&files[ev])
	if f.ops().gen(f) == g {
		t.Fatal("the instance's generation did not move with its item's")
	}
	for i := 0; i < 2; i++ {
		if r := f.ops().readiness(f); r != epollIn {
			t.Fatalf("look %d: readiness %#x, want EPOLLIN", i, r)
		}
	}
	if evs := collect(&epolls[1], 4); len(evs) != 1 {
		t.Fatalf("the edge was consumed by a look: %v", evs)
	}
	if r := f.ops().readiness(f); r != 0 {
		t.Fatalf("edge collected: readiness %#x, want 0", r)
	}
}

// TestEpollNestCheck checks EPOLL_CTL_ADD of an instance into another:
// itself EINVAL, a loop ELOOP, and chains up to Linux's four links.
func TestEpollNestCheck(t *testing.T) {
	resetFiles(t)
	var fi [7]int32
	for i := range fi {
		fi[i] = newTestEpoll(int32(i + 1))
	}
	add := func(outer, inner int) int64 {
		if e := epollNestCheck(int32(outer+1), int32(inner+1)); e != 0 {
			return e
		}
		return epollRegister(&epolls[outer+1], epollCtlAdd, int32(10+inner), fi[inner], epollIn, 0)
	}
	for _, tc := range []struct {
		name         string
		outer, inner int
		want         int64
	}{
		{"itself", 0, 0, -EINVAL},
		{"1 in 0", 0, 1, 0},
		{"0 in 1: a loop", 1, 0, -ELOOP},
		{"0 in 2", 2, 0, 0},
		{"2 in 1: 2 holds 0, which holds 1: a loop", 1, 2, -ELOOP},
		{"2 in 3: three links", 3, 2, 0},
		{"3 in 4: four links", 4, 3, 0},
		{"4 in 5: five links", 5, 4, -ELOOP},
		{"6 in 1: 1 is four links down from 4, plus one", 1, 6, -ELOOP},
		{"6 in 2: 2 is two links down from 4, plus one", 2, 6, 0},
	} {
		if got := add(tc.outer, tc.inner); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
