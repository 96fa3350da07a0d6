package main

import (
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/internal/bootcase"
)

// captureStdout returns what f printed.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() { os.Stdout = old }()
	f()
	w.Close()
	os.Stdout = old
	return <-done
}

// TestResetRetryPath runs fake cases through the lane's retry loop
// (runWithRetries, runOne): each run of a case either passes or resets
// its machine, the reset's report going to Env.OnReset as bootcase.Boot
// hands it over. L0's signature runs the case again once, with a RETRY
// line naming it; a second reset of the case, a reset without the
// signature, or a console that only claims one, fails it.
func TestResetRetryPath(t *testing.T) {
	sig2 := reportFor(t, traceFreshmemB1, freshmemTextEnd, 0x21978a)
	damaged := reportFor(t, traceFreshmemB1, freshmemTextEnd, 0x21978a)
	damaged.Problems = []string{"core 1: IST2=0x0 (want 0x46c000)"}
	tests := []struct {
		name    string
		runs    []*bootcase.ResetReport // per run: the reset's report, nil for a pass
		console string                  // what a reset run's guest printed
		want    int                     // runs made
		reruns  int                     // of the lane run, after it
		lines   []string                // in the output, in order
		not     []string
	}{
		{"signature 2, then a pass", []*bootcase.ResetReport{&sig2, nil}, "", 2, 1,
			[]string{"--- RETRY: fresh (", "): L0's reset signature 2 (fetch #PF err 0x10 at 0x22d414 in text, its page present and executable; tables intact); running it again (run 2 of at most 3 of the case, rerun 1 of at most " + strconv.Itoa(runReruns) + " in this lane run)",
				"KVM's shutdown exits (kvm:kvm_exit):", "--- PASS: fresh"}, []string{"--- FAIL"}},
		{"signature twice", []*bootcase.ResetReport{&sig2, &sig2, nil}, "", 2, 1,
			[]string{"--- RETRY: fresh", "--- FAIL: fresh (", "): L0's reset signature 2 (", "a second reset fails it"}, []string{"--- PASS"}},
		{"a damaged table", []*bootcase.ResetReport{&damaged, nil}, "", 1, 0,
			[]string{"--- FAIL: fresh (", "a reset that is not L0's signature (the report found core 1: IST2=0x0 (want 0x46c000))"}, []string{"RETRY"}},
		{"the guest prints the words", []*bootcase.ResetReport{nil, nil}, "L0's reset signature 2 (fetch #PF)", 1, 0,
			[]string{"--- FAIL: fresh ("}, []string{"RETRY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &bootcase.Env{OnReset: resetSeen.set}
			run := 0
			c := bootcase.Case{Name: "fresh", Run: func(t bootcase.TB, e *bootcase.Env) {
				r := tt.runs[run]
				run++
				switch {
				case r != nil:
					e.OnReset(*r)
					t.Logf("what is left of the machine:\n%s", r.Host.Text)
					t.Fatalf("guest fresh reset the machine (a triple fault or the guest's own reset) without a report; console:\n%s", tt.console)
				case tt.console != "":
					t.Fatalf("outcome exited status 1; console:\n%s", tt.console)
				}
			}}
			reruns, resets, made := 0, 0, 0
			out := captureStdout(t, func() {
				made = runWithRetries(0, &reruns, func(tr try) bool { return runOne(c, env, tr, &resets) })
			})
			if made != tt.want || reruns != tt.reruns {
				t.Errorf("%d runs, %d reruns; want %d, %d\n%s", made, reruns, tt.want, tt.reruns, out)
			}
			rest := out
			for _, l := range tt.lines {
				i := strings.Index(rest, l)
				if i < 0 {
					t.Errorf("output lacks %q (in order):\n%s", l, out)
					break
				}
				rest = rest[i+len(l):]
			}
			for _, l := range tt.not {
				if strings.Contains(out, l) {
					t.Errorf("output has %q:\n%s", l, out)
				}
			}
		})
	}
}
