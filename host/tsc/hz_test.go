package tsc

import (
	"runtime"
	"testing"
)

func TestHzPlausibleAndStable(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("no TSC on", runtime.GOARCH)
	}
	a, err := Hz()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Hz()
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
