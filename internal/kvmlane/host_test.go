package main

import (
	"fmt"
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

// TestRunWithRetries: a case runs again only while its failures are L0's
// artefacts, at most artefactRuns times in all (its runs in earlier boots
// of L1 included) and while the lane run has reruns left (runReruns,
// shared by the cases); the last run may not ask for another.
func TestRunWithRetries(t *testing.T) {
	for _, c := range []struct {
		name          string
		prior, reruns int // the case's earlier runs, the lane run's reruns
		retries       int // how many runs in a row ask for a retry
		want          int // runs
	}{
		{"pass", 0, 0, 0, 1},
		{"one artefact", 0, 0, 1, 2},
		{"two artefacts", 0, 0, 2, 3},
		{"artefact every time", 0, 0, 100, artefactRuns},
		{"interrupted once before", 1, 1, 100, artefactRuns - 1},
		{"its last run after two boots", artefactRuns - 1, 2, 100, 1},
		{"one rerun left in the lane run", 0, runReruns - 1, 100, 2},
		{"no rerun left in the lane run", 0, runReruns, 100, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls, reruns := 0, c.reruns
			n := runWithRetries(c.prior, &reruns, func(tr try) bool {
				calls++
				if tr.run != c.prior+calls || tr.reruns != c.reruns+calls-1 {
					t.Errorf("call %d: %+v, want run %d after %d reruns", calls, tr, c.prior+calls, c.reruns+calls-1)
				}
				if tr.run >= artefactRuns && tr.mayRetry() || tr.reruns >= runReruns && tr.mayRetry() {
					t.Errorf("run %d after %d reruns may retry", tr.run, tr.reruns)
				}
				return tr.mayRetry() && calls <= c.retries
			})
			if n != c.want || calls != c.want {
				t.Errorf("ran %d times (reported %d), want %d", calls, n, c.want)
			}
			if reruns != c.reruns+c.want-1 {
				t.Errorf("lane run's reruns %d → %d, want %d", c.reruns, reruns, c.reruns+c.want-1)
			}
		})
	}
}

// TestTryAgain: a RETRY line states the next run's place in both bounds.
func TestTryAgain(t *testing.T) {
	got := try{run: 1, reruns: 2}.again()
	want := fmt.Sprintf("run 2 of at most %d of the case, rerun 3 of at most %d in this lane run", artefactRuns, runReruns)
	if got != want {
		t.Errorf("again() = %q, want %q", got, want)
	}
}
