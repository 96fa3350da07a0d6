package kernel

import "testing"

// TestRlimits checks the static limits table: every resource unlimited
// but the stack (its soft limit the initial stack's size) and the
// descriptors (the table's size), as getrlimit reports them from the
// first system call on.
func TestRlimits(t *testing.T) {
	for res, got := range rlimits {
		want := [2]uint64{rlimInfinity, rlimInfinity}
		switch res {
		case rlimitStack:
			want[0] = userStackSize
		case rlimitNofile:
			want = [2]uint64{maxFDs, maxFDs}
		}
		if got != want {
			t.Errorf("rlimits[%d] = %#x, want %#x", res, got, want)
		}
	}
}
