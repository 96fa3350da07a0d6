package tsc

import (
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
	if h, err := Hz(); err != nil || h != k {
		t.Errorf("Hz() = %d, %v; want the kernel's %d", h, err, k)
	}
}
