//go:build linux && amd64

package tsc

import (
	"encoding/binary"
	"testing"
)

func TestHzFromPerfPage(t *testing.T) {
	page := func(caps uint64, shift uint16, mult uint32) []byte {
		p := make([]byte, 4096)
		binary.LittleEndian.PutUint64(p[perfPageCaps:], caps)
		binary.LittleEndian.PutUint16(p[perfPageTimeShift:], shift)
		binary.LittleEndian.PutUint32(p[perfPageTimeMult:], mult)
		return p
	}
	for _, c := range []struct {
		name string
		page []byte
		hz   uint64
		ok   bool
	}{
		// 2245.78 MHz as Linux encodes it: mult = 2^31 × 1e9 / hz.
		{"2.24578 GHz", page(perfCapUserTime, 31, 956230641), 2245780000, true},
		{"2.7 GHz", page(perfCapUserTime, 30, 397682157), 2700000000, true},
		{"no user time", page(0, 31, 956247548), 0, false},
		{"zero mult", page(perfCapUserTime, 31, 0), 0, false},
		{"implausible", page(perfCapUserTime, 0, 1_000_000_000), 0, false},
		{"short page", make([]byte, 16), 0, false},
	} {
		hz, ok := hzFromPerfPage(c.page)
		if ok != c.ok {
			t.Errorf("%s: ok = %v, want %v", c.name, ok, c.ok)
			continue
		}
		// Linux's mult is itself rounded: within 2 Hz.
		if ok && (hz+2 < c.hz || hz > c.hz+2) {
			t.Errorf("%s: %d Hz, want %d", c.name, hz, c.hz)
		}
	}
}
