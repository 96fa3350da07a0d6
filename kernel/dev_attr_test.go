package kernel

import "testing"

// TestDevAttrs checks that chmod, chown and a time set on a built-in
// device change what stat reports for it, and for it alone.
func TestDevAttrs(t *testing.T) {
	saved := devAttrs
	t.Cleanup(func() { devAttrs = saved })
	devAttrs = [numFileKinds]devAttr{}

	stat := func(k fileKind) statBuf {
		var st statBuf
		devStat(&st, k, 0o020666)
		return st
	}
	if st := stat(fkNull); st.mode != 0o020666 || st.uid != 0 || st.gid != 0 {
		t.Fatalf("fresh /dev/null: mode %#o owner %d:%d, want 020666 0:0", st.mode, st.uid, st.gid)
	}
	steps := []struct {
		name         string
		do           func()
		k            fileKind
		mode         uint32
		uid, gid     uint32
		mtimeSeconds int64
	}{
		{"chmod 0600", func() { devChmod(fkNull, 0o600) }, fkNull, 0o020600, 0, 0, 0},
		{"chmod keeps the type", func() { devChmod(fkNull, 0o170644) }, fkNull, 0o020644, 0, 0, 0},
		{"chown 1000:100", func() { devChown(fkNull, 1000, 100) }, fkNull, 0o020644, 1000, 100, 0},
		{"chown -1:7 keeps the owner", func() { devChown(fkNull, ^uint32(0), 7) }, fkNull, 0o020644, 1000, 7, 0},
		{"chown clears set-user-ID", func() { devChmod(fkNull, 0o4755); devChown(fkNull, 0, 0) }, fkNull, 0o020755, 0, 0, 0},
		{"chown keeps set-group-ID without group-execute", func() { devChmod(fkNull, 0o2640); devChown(fkNull, 1, 1) }, fkNull, 0o022640, 1, 1, 0},
		{"chown -1:-1 changes nothing", func() { devChmod(fkNull, 0o4644); devChown(fkNull, ^uint32(0), ^uint32(0)) }, fkNull, 0o024644, 1, 1, 0},
		{"a time", func() { devTouch(fkNull, 1234567890e9+5) }, fkNull, 0o024644, 1, 1, 1234567890},
		{"a kept time", func() { devTouch(fkNull, mtimeKeep) }, fkNull, 0o024644, 1, 1, 1234567890},
		{"another device is as it was", func() {}, fkZero, 0o020666, 0, 0, 0},
		{"fchmod of a device", func() {
			if e := baseChmod(&file{kind: fkZero}, 0o640); e != 0 {
				t.Fatalf("baseChmod: %d", e)
			}
		}, fkZero, 0o020640, 0, 0, 0},
		{"fchown of a device", func() { fileChown(&file{kind: fkRandom}, 5, 6) }, fkRandom, 0o020666, 5, 6, 0},
	}
	for _, s := range steps {
		s.do()
		st := stat(s.k)
		if st.mode != s.mode || st.uid != s.uid || st.gid != s.gid || st.mtime != s.mtimeSeconds {
			t.Errorf("%s: mode %#o owner %d:%d mtime %d, want %#o %d:%d %d", s.name, st.mode, st.uid, st.gid, st.mtime, s.mode, s.uid, s.gid, s.mtimeSeconds)
		}
	}
	if e := baseChmod(&file{kind: fkEventfd}, 0o600); e != -EROFS {
		t.Errorf("fchmod of an eventfd: %d, want EROFS", e)
	}
	if st := stat(fkNull); st.mtimeNs != 5 {
		t.Errorf("/dev/null's mtime nanoseconds %d, want 5", st.mtimeNs)
	}
	var st statBuf
	devStat(&st, fkPipeRead, 0o010600)
	if st.mode != 0o010600 || st.uid != 0 {
		t.Errorf("a pipe: mode %#o uid %d, want 010600 0", st.mode, st.uid)
	}
}
