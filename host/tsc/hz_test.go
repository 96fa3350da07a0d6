package tsc

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestMeasurePlausibleAndStable(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("no TSC on", runtime.GOARCH)
	}
	a, err := Measure()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Measure()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("TSC: %d Hz, %d Hz", a, b)
	for _, hz := range []uint64{a, b} {
		if hz < minHz || hz > maxHz {
			t.Errorf("implausible TSC rate %d Hz", hz)
		}
		if hz%step != 0 {
			t.Errorf("rate %d Hz is not rounded to %d Hz", hz, step)
		}
	}
	diff := max(a, b) - min(a, b)
	if float64(diff) > 0.01*float64(min(a, b)) {
		t.Errorf("two measurements differ by more than 1%%: %d Hz and %d Hz", a, b)
	}
}

func TestRate(t *testing.T) {
	for _, c := range []struct {
		count uint64
		ns    int64
		want  uint64
	}{
		{27_000_000, 10_000_000, 2_700_000_000},
		{26_936_700, 10_000_000, 2_693_670_000},
		{26_936_749, 10_000_000, 2_693_670_000}, // 2_693_674_900 rounds down
		{26_936_751, 10_000_000, 2_693_680_000}, // 2_693_675_100 rounds up
	} {
		if got := rate(c.count, c.ns); got != c.want {
			t.Errorf("rate(%d, %d) = %d, want %d", c.count, c.ns, got, c.want)
		}
	}
}

// The kernel's calibration, when this host publishes it, must agree with
// a measurement (which is good to about 10 ppm plus its rounding).
func TestKernelHzAgreesWithMeasure(t *testing.T) {
	k, ok := kernelHz()
	if !ok {
		t.Skip("the kernel publishes no TSC conversion here (clock source not the TSC, or perf events refused)")
	}
	m, err := Measure()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("TSC: kernel %d Hz, measured %d Hz", k, m)
	if diff := max(k, m) - min(k, m); float64(diff) > 1e-3*float64(m) {
		t.Errorf("kernel's rate %d Hz and measured %d Hz differ by more than 0.1%%", k, m)
	}
	// Hz may answer from a cache an older gotoro filled by measuring.
	if h, err := Hz(); err != nil || float64(max(h, k)-min(h, k)) > 1e-3*float64(k) {
		t.Errorf("Hz() = %d, %v; want about the kernel's %d", h, err, k)
	}
}

// TestHzOrder: the cache is read before the kernel is asked (asking costs
// milliseconds after a pause), the kernel's rate is preferred to a
// measurement, and whatever is found is cached for the next run.
func TestHzOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tsc_hz")
	loc := func() (string, string, bool) { return path, "boot", true }
	var asked, measured int
	kernel := func(ok bool) func() (uint64, bool) {
		return func() (uint64, bool) { asked++; return 2_000_000_000, ok }
	}
	measure := func() (uint64, error) { measured++; return 3_000_000_000, nil }

	if hz, err := hzFrom(loc, kernel(true), measure); err != nil || hz != 2_000_000_000 || asked != 1 || measured != 0 {
		t.Fatalf("empty cache: %d, %v (kernel asked %d, measured %d); want the kernel's rate", hz, err, asked, measured)
	}
	if hz, err := hzFrom(loc, kernel(true), measure); err != nil || hz != 2_000_000_000 || asked != 1 {
		t.Fatalf("cached: %d, %v (kernel asked %d); want the cache's rate without asking", hz, err, asked)
	}
	os.Remove(path)
	if hz, err := hzFrom(loc, kernel(false), measure); err != nil || hz != 3_000_000_000 || asked != 2 || measured != 1 {
		t.Fatalf("no kernel rate: %d, %v (asked %d, measured %d); want a measurement", hz, err, asked, measured)
	}
	if hz, err := hzFrom(loc, kernel(false), measure); err != nil || hz != 3_000_000_000 || asked != 2 || measured != 1 {
		t.Fatalf("measured before: %d, %v (asked %d, measured %d); want the cache's rate", hz, err, asked, measured)
	}
	// No cache location: the kernel, then a measurement, every time.
	none := func() (string, string, bool) { return "", "", false }
	if hz, err := hzFrom(none, kernel(false), measure); err != nil || hz != 3_000_000_000 || asked != 3 || measured != 2 {
		t.Fatalf("no cache: %d, %v (asked %d, measured %d)", hz, err, asked, measured)
	}
}
