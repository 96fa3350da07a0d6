package kernel

import (
	"encoding/binary"
	"testing"
)

func TestFileKinds(t *testing.T) {
	for k, ops := range fileKinds {
		if ops == nil {
			t.Errorf("file kind %d has no operations (filekinds.go)", k)
			continue
		}
		fl := ops.flags()
		if fl&(kindDir|kindRegular) != 0 && fl&kindSeekable == 0 {
			t.Errorf("file kind %d is a directory or regular file but not seekable", k)
		}
		if fl&kindDir != 0 && fl&kindRegular != 0 {
			t.Errorf("file kind %d is both a directory and a regular file", k)
		}
	}
	// The defaults are Linux's answers for a file that lacks an operation.
	f := &file{kind: fkEpoll}
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"read", fileBase{}.read(f, nil, -1), -EINVAL},
		{"seek", fileBase{}.seek(f, 0, seekSet), -ESPIPE},
		{"ioctl", fileBase{}.ioctl(f, 0, 0), -ENOTTY},
		{"bind", fileBase{}.bind(f, 0, 0), -ENOTSOCK},
		{"getdents", fileBase{}.getdents(f, nil), -ENOTDIR},
		{"truncate", fileBase{}.truncate(f, 0), -EINVAL},
		{"chmod", fileBase{}.chmod(f, 0), -EROFS},
	} {
		if c.got != c.want {
			t.Errorf("default %s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// TestUnlockedKinds checks the constant fdPin reads against the kinds'
// own flags: a kind whose flags gain or lose kindUnlocked must change it.
func TestUnlockedKinds(t *testing.T) {
	for k, ops := range fileKinds {
		want := ops.flags()&kindUnlocked != 0
		if got := unlockedKinds&(1<<k) != 0; got != want {
			t.Errorf("file kind %d: unlockedKinds says unlocked=%v, its flags say %v (fd.go)", k, got, want)
		}
	}
}

func TestSeekIn(t *testing.T) {
	tests := []struct {
		name         string
		pos, off     int64
		whence       int
		size         int64
		want, posOut int64
	}{
		{"set", 5, 7, seekSet, 100, 7, 7},
		{"cur", 5, 7, seekCur, 100, 12, 12},
		{"cur back", 5, -5, seekCur, 100, 0, 0},
		{"end", 5, -10, seekEnd, 100, 90, 90},
		{"past the end", 0, 50, seekEnd, 100, 150, 150},
		{"before the start", 5, -6, seekCur, 100, -EINVAL, 5},
		{"bad whence", 5, 0, 3, 100, -EINVAL, 5},
		{"size unknown", 5, 0, seekEnd, -EIO, -EIO, 5},
		{"size unknown, not needed", 5, 1, seekCur, -EIO, 6, 6},
	}
	for _, tc := range tests {
		f := &file{off: tc.pos}
		if got := seekIn(f, tc.off, tc.whence, tc.size); got != tc.want || f.off != tc.posOut {
			t.Errorf("%s: seekIn = %d, offset %d; want %d, %d", tc.name, got, f.off, tc.want, tc.posOut)
		}
	}
}

func TestReadData(t *testing.T) {
	data := []byte("hello, world")
	f := &file{}
	b := make([]byte, 5)
	if n := readData(f, data, b, -1); n != 5 || string(b) != "hello" || f.off != 5 {
		t.Fatalf("first read: %d %q offset %d", n, b, f.off)
	}
	if n := readData(f, data, b, 7); n != 5 || string(b) != "world" || f.off != 5 {
		t.Fatalf("pread: %d %q offset %d (pread must not move the offset)", n, b, f.off)
	}
	if n := readData(f, data, b, -1); n != 5 || string(b) != ", wor" || f.off != 10 {
		t.Fatalf("second read: %d %q offset %d", n, b, f.off)
	}
	if n := readData(f, data, b, -1); n != 2 || f.off != 12 {
		t.Fatalf("short read: %d offset %d", n, f.off)
	}
	if n := readData(f, data, b, -1); n != 0 {
		t.Fatalf("read at the end: %d", n)
	}
	if n := readData(f, data, b, 1000); n != 0 {
		t.Fatalf("pread past the end: %d", n)
	}
}

func TestPutDirent(t *testing.T) {
	b := make([]byte, 64)
	n := putDirent(b, 42, 3, dtReg, "file.txt")
	// 19 bytes of header, the name and its NUL, rounded up to 8.
	if n != 32 {
		t.Fatalf("record length %d, want 32", n)
	}
	if ino := binary.LittleEndian.Uint64(b); ino != 42 {
		t.Errorf("d_ino = %d", ino)
	}
	if off := binary.LittleEndian.Uint64(b[8:]); off != 3 {
		t.Errorf("d_off = %d", off)
	}
	if rl := binary.LittleEndian.Uint16(b[16:]); rl != 32 {
		t.Errorf("d_reclen = %d", rl)
	}
	if b[18] != dtReg || string(b[19:27]) != "file.txt" || b[27] != 0 {
		t.Errorf("type/name: %d %q", b[18], b[19:28])
	}
	if n := putDirent(b[:31], 1, 1, dtDir, "file.txt"); n != 0 {
		t.Errorf("a record that does not fit was written (%d)", n)
	}
}
