package bootcase

import (
	"context"
	"testing"
	"time"
)

func TestMoveClock(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type sample struct {
		at   int
		v    uint64
		move bool
	}
	tests := []struct {
		name    string
		samples []sample
		now     int
		console time.Duration // the console's silence at now
		want    time.Duration
	}{
		{"no sample: the console decides", nil, 70, 70 * time.Second, 70 * time.Second},
		{"the first value is a baseline, not a move", []sample{{30, 5, false}}, 70, 70 * time.Second, 70 * time.Second},
		{"stuck: the same value", []sample{{30, 5, false}, {35, 5, false}, {40, 5, false}}, 70, 70 * time.Second, 70 * time.Second},
		{"moving: silence since the last change", []sample{{30, 5, false}, {35, 9, true}, {40, 12, true}, {45, 12, false}}, 70, 70 * time.Second, 30 * time.Second},
		{"the console printed since", []sample{{30, 5, false}, {35, 9, true}}, 70, 10 * time.Second, 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m moveClock
			for _, s := range tc.samples {
				if got := m.note(s.v, at(s.at)); got != s.move {
					t.Errorf("note(%d) at %ds = %v, want %v", s.v, s.at, got, s.move)
				}
			}
			if got := m.silence(tc.console, at(tc.now)); got != tc.want {
				t.Errorf("silence = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestProgressProbeNoImage checks that a probe whose image cannot be read
// gives up for good instead of asking again every time.
func TestProgressProbeNoImage(t *testing.T) {
	p := progressProbe{monitor: "/nonexistent.sock", image: "/nonexistent.img"}
	for range 2 {
		if _, ok := p.read(context.Background()); ok {
			t.Fatal("read a value without an image")
		}
		if !p.broken {
			t.Fatal("the probe did not give up")
		}
	}
}
