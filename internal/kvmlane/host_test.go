package main

import (
	"testing"
	"time"
)

// TestResults checks how the host reads the nested guest's result lines:
// a retried case counts once, by its second run; a failure after a retry
// fails the lane; a case that never reported is missing.
func TestResults(t *testing.T) {
	for _, c := range []struct {
		name    string
		lines   []string
		wantErr bool
		retried int
	}{
		{"pass", []string{markUp, markRun + "a", markPass + "a (1.00s)", markDone}, false, 0},
		{"retry then pass", []string{markUp, markRun + "a", markRetry + "a (1.00s)", "    gotoro: fatal fault: kernel panic: interrupt 240 " + "delivered with interrupts disabled", markRun + "a", markPass + "a (1.00s)", markDone}, false, 1},
		{"retry then fail", []string{markUp, markRun + "a", markRetry + "a (1.00s)", markRun + "a", markFail + "a (1.00s)", markDone}, true, 1},
		{"two retries then pass", []string{markUp, markRun + "a", markRetry + "a (1.00s)", markRun + "a", markRetry + "a (1.00s)", markRun + "a", markPass + "a (1.00s)", markDone}, false, 2},
		{"retry only", []string{markUp, markRun + "a", markRetry + "a (1.00s)", markDone}, true, 1},
		{"fail", []string{markUp, markRun + "a", markFail + "a (1.00s)", markDone}, true, 0},
		{"never up", []string{}, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &results{want: []string{"a"}, count: 1}
			st := &stepper{start: time.Now()}
			for _, l := range c.lines {
				r.line(l, false, st)
			}
			if err := r.summary(); (err != nil) != c.wantErr {
				t.Errorf("summary() = %v, want error %v", err, c.wantErr)
			}
			if len(r.retried) != c.retried {
				t.Errorf("retried %v, want %d", r.retried, c.retried)
			}
		})
	}
}

// TestRunWithRetries: a case runs again only while its failures carry the
// double-delivery report, and at most artefactRuns times; the last run may
// not ask for another.
func TestRunWithRetries(t *testing.T) {
	for _, c := range []struct {
		name    string
		retries int // how many runs in a row ask for a retry
		want    int
	}{
		{"pass", 0, 1},
		{"one artefact", 1, 2},
		{"two artefacts", 2, 3},
		{"artefact every time", 100, artefactRuns},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			n := runWithRetries(func(mayRetry bool) bool {
				calls++
				if calls == artefactRuns && mayRetry {
					t.Errorf("run %d of %d may retry", calls, artefactRuns)
				}
				return mayRetry && calls <= c.retries
			})
			if n != c.want || calls != c.want {
				t.Errorf("ran %d times (reported %d), want %d", calls, n, c.want)
			}
		})
	}
}
