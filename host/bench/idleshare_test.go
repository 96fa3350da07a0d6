package bench

import (
	"strings"
	"testing"
	"time"
)

func TestIdleShare(t *testing.T) {
	for _, c := range []struct {
		idle, sleep time.Duration
		want        string
	}{
		{50 * time.Millisecond, time.Second, "5.00% of one host core while idle"},
		{0, time.Second, "0.00% of one host core while idle"},
		{-21 * time.Millisecond, time.Second, "below the two boots' spread (21 ms)"},
	} {
		if got := idleShare(c.idle, c.sleep); !strings.HasPrefix(got, c.want) {
			t.Errorf("idleShare(%v, %v) = %q, want prefix %q", c.idle, c.sleep, got, c.want)
		}
	}
}
