package apic

import "testing"

// The arithmetic of the timer and the routing, tested hosted; the register
// access itself is tested by booting (the boot tests and the KVM lane run
// both APIC modes and both timer modes).

func TestOneShotCount(t *testing.T) {
	const hz = 1_000_000_000 // one tick per ns
	for _, c := range []struct {
		name string
		d    int64
		hz   uint64
		want uint32
	}{
		{"1 ms", 1_000_000, hz, 1_000_000},
		{"past deadline fires after 1 µs", -5_000, hz, 1000},
		{"under 1 µs is 1 µs", 10, hz, 1000},
		{"slow timer still counts one tick", 1000, 1000, 1},
		{"100 MHz, 1 ms", 1_000_000, 100_000_000, 100_000},
		{"beyond 32 bits is the register's maximum", 10_000_000_000, hz, 0xFFFFFFFF},
	} {
		if got := oneShotCount(c.d, c.hz); got != c.want {
			t.Errorf("%s: oneShotCount(%d, %d) = %d, want %d", c.name, c.d, c.hz, got, c.want)
		}
	}
}

func TestCalSampleRate(t *testing.T) {
	const tscHz = 2_000_000_000
	for _, c := range []struct {
		name      string
		s         calSample
		hz, width uint64
		ok        bool
	}{
		// 500 000 TSC ticks (250 µs) between the midpoints, 250 000
		// timer ticks: 1 GHz; each bracket 100 ticks wide.
		{"narrow brackets", calSample{a0: 1000, b0: 1100, a1: 501000, b1: 501100, c0: 0xFFFFFFFF, c1: 0xFFFFFFFF - 250_000}, 1_000_000_000, 200, true},
		// The end bracket is wide: the read is taken at its midpoint.
		{"wide end bracket", calSample{a0: 1000, b0: 1000, a1: 500000, b1: 502000, c0: 1_000_000, c1: 750_000}, 1_000_000_000, 2000, true},
		{"count did not go down", calSample{a0: 0, b0: 10, a1: 1000, b1: 1010, c0: 5, c1: 5}, 0, 0, false},
		{"count went up", calSample{a0: 0, b0: 10, a1: 1000, b1: 1010, c0: 5, c1: 6}, 0, 0, false},
		{"no time passed", calSample{a0: 10, b0: 10, a1: 10, b1: 10, c0: 9, c1: 1}, 0, 0, false},
		// A window longer than the count lasts: it stopped at 0.
		{"count ran out", calSample{a0: 0, b0: 10, a1: 1000, b1: 1010, c0: 500, c1: 0}, 0, 0, false},
	} {
		hz, width, ok := c.s.rate(tscHz)
		if hz != c.hz || width != c.width || ok != c.ok {
			t.Errorf("%s: rate = %d, %d, %v; want %d, %d, %v", c.name, hz, width, ok, c.hz, c.width, c.ok)
		}
	}
}

// TestCalSampleTight: a sample counts without looking further when its
// brackets total under 8 % of its span (20 µs per 250 µs), so a long
// window (the kernel's boot, milliseconds) tolerates wider brackets than
// a short one.
func TestCalSampleTight(t *testing.T) {
	for _, c := range []struct {
		name  string
		s     calSample
		tight bool
	}{
		{"250 µs window, 200 ns of brackets", calSample{a0: 0, b0: 100, a1: 500_000, b1: 500_100}, true},
		{"250 µs window, 20 µs brackets (the limit)", calSample{a0: 0, b0: 20_000, a1: 500_000, b1: 520_000}, false},
		{"250 µs window, 19 µs brackets", calSample{a0: 0, b0: 19_000, a1: 500_000, b1: 519_000}, true},
		{"5 ms window, 300 µs of brackets", calSample{a0: 0, b0: 300_000, a1: 10_000_000, b1: 10_300_000}, true},
		{"5 ms window, a 1 ms pause in a bracket", calSample{a0: 0, b0: 100, a1: 10_000_000, b1: 12_000_000}, false},
	} {
		if got := c.s.tight(); got != c.tight {
			t.Errorf("%s: tight = %v, want %v (span %d)", c.name, got, c.tight, c.s.span())
		}
	}
}

func TestIOAPICPin(t *testing.T) {
	for _, c := range []struct {
		gsi  uint32
		base uintptr
		pin  uint32
		ok   bool
	}{
		{0, ioapicBase0, 0, true},
		{9, ioapicBase0, 9, true}, // microvm's GED
		{23, ioapicBase0, 23, true},
		{24, ioapicBase1, 0, true}, // microvm's virtio-mmio transports
		{47, ioapicBase1, 23, true},
		{48, ioapicBase1, 24, false},
		{^uint32(0), ioapicBase1, ^uint32(0) - ioapicPins, false},
	} {
		base, pin, ok := ioapicPin(c.gsi)
		if ok != c.ok || ok && (base != c.base || pin != c.pin) {
			t.Errorf("ioapicPin(%d) = %#x, %d, %v; want %#x, %d, %v", c.gsi, base, pin, ok, c.base, c.pin, c.ok)
		}
	}
}
