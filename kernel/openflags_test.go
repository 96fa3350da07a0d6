package kernel

import "testing"

// openPath tests O_CREAT|O_EXCL with a shift: O_CREAT's bit shifted once is
// O_EXCL's; and its follow argument is false exactly for O_NOFOLLOW or
// O_CREAT|O_EXCL.
func TestOpenFlagBits(t *testing.T) {
	if oCreat<<1 != oExcl {
		t.Fatalf("O_CREAT %#x shifted once is not O_EXCL %#x", oCreat, oExcl)
	}
	for _, flags := range []uint32{0, oCreat, oExcl, oCreat | oExcl, oNofollow, oNofollow | oCreat, oNofollow | oCreat | oExcl, oRdwr | oCreat | oExcl | oTrunc} {
		want := flags&oNofollow == 0 && flags&(oCreat|oExcl) != oCreat|oExcl
		if got := flags&(oNofollow|flags<<1&oExcl) == 0; got != want {
			t.Errorf("flags %#x: follow %v, want %v", flags, got, want)
		}
	}
}
