package main

import (
	"strings"
	"testing"
	"time"
)

func TestPFStorm(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type reading struct {
		at    time.Duration
		count uint64
	}
	tests := []struct {
		name     string
		readings []reading
		wedged   bool
	}{
		{"a running guest", []reading{{0, 0}, {5 * time.Second, 3}, {10 * time.Second, 3}, {15 * time.Second, 10}, {20 * time.Second, 10}}, false},
		{"the loop for 15 s", []reading{{0, 0}, {5 * time.Second, 25000}, {10 * time.Second, 50000}, {15 * time.Second, 75000}}, true},
		{"the loop for 10 s", []reading{{0, 0}, {5 * time.Second, 25000}, {10 * time.Second, 50000}}, false},
		{"a burst, then calm", []reading{{0, 0}, {5 * time.Second, 25000}, {10 * time.Second, 25010}, {15 * time.Second, 50000}, {20 * time.Second, 50100}}, false},
		{"a gap between guests", []reading{{0, 0}, {5 * time.Second, 25000}, {60 * time.Second, 900000}, {65 * time.Second, 900010}}, false},
		{"just under the rate", []reading{{0, 0}, {5 * time.Second, 4999}, {10 * time.Second, 9998}, {15 * time.Second, 14997}, {20 * time.Second, 19996}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p pfStorm
			why := ""
			for _, r := range tc.readings {
				if w := p.step(r.count, t0.Add(r.at)); w != "" {
					why = w
				}
			}
			if (why != "") != tc.wedged {
				t.Fatalf("wedged %q, want %v", why, tc.wedged)
			}
			if tc.wedged && !strings.Contains(why, "at 5000 a second for 15s") {
				t.Errorf("reason %q lacks the rate and the time", why)
			}
		})
	}
}

// TestPFStormReadsEvery: the counter is read once per stormEvery however
// often the case's watcher asks.
func TestPFStormReadsEvery(t *testing.T) {
	t0 := time.Unix(1000, 0)
	reads := 0
	p := pfStorm{read: func() (uint64, bool) { reads++; return uint64(reads) * 50000, true }}
	for i := 0; i < 4*20; i++ { // 20 s of the watcher's 250 ms ticks
		if why := p.wedged(t0.Add(time.Duration(i) * 250 * time.Millisecond)); why != "" {
			if reads != 4 {
				t.Errorf("wedged after %d readings, want 4 (15 s)", reads)
			}
			return
		}
	}
	t.Fatalf("never wedged after %d readings", reads)
}
