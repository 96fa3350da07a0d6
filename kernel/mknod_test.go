package kernel

import "testing"

func TestMknodType(t *testing.T) {
	for _, c := range []struct {
		mode, dev    uint32
		typ, keepDev uint32
		err          int64
	}{
		{0o644, 7, tmpModeFile, 0, 0},
		{tmpModeFile | 0o600, 7, tmpModeFile, 0, 0},
		{tmpModeFifo | 0o644, 7, tmpModeFifo, 0, 0},
		{tmpModeSock | 0o644, 7, tmpModeSock, 0, 0},
		{tmpModeChr | 0o666, 0x103, tmpModeChr, 0x103, 0},
		{tmpModeBlk | 0o600, 0x801, tmpModeBlk, 0x801, 0},
		{tmpModeDir | 0o755, 0, 0, 0, -EPERM},
		{tmpModeLink | 0o777, 0, 0, 0, -EINVAL},
		{0o030000, 0, 0, 0, -EINVAL},
		{tmpModeWhiteout, 0, 0, 0, -EINVAL},
	} {
		typ, dev, err := mknodType(c.mode, c.dev)
		if typ != c.typ || dev != c.keepDev || err != c.err {
			t.Errorf("mknodType(%o, %x) = %o, %x, %d; want %o, %x, %d", c.mode, c.dev, typ, dev, err, c.typ, c.keepDev, c.err)
		}
	}
}

func TestDeviceNumbers(t *testing.T) {
	for _, k := range []fileKind{fkNull, fkZero, fkRandom, fkConsole} {
		n := deviceNumber(k)
		if n == 0 || deviceByNumber(n) != k {
			t.Errorf("kind %d: number %x maps back to %d", k, n, deviceByNumber(n))
		}
	}
	for _, n := range []uint32{0, 1<<8 | 4, 240<<8 | 7, 8 << 8} {
		if k := deviceByNumber(n); k != fkNone {
			t.Errorf("device %x opens kind %d, want none", n, k)
		}
	}
	if deviceNumber(fkPipeRead) != 0 {
		t.Errorf("a pipe has a device number")
	}
}
