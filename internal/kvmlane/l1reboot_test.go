package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCaseRuns(t *testing.T) {
	ab := []string{"a", "b"}
	tests := []struct {
		count, skip int
		want        []string
	}{
		{1, 0, ab},
		{0, 0, ab},
		{3, 0, []string{"a", "b", "a", "b", "a", "b"}},
		{3, 3, []string{"b", "a", "b"}},
		{2, 4, []string{}},
		{2, 9, []string{}},
		{2, -1, []string{"a", "b", "a", "b"}},
	}
	for _, tt := range tests {
		if got := caseRuns(ab, tt.count, tt.skip); !slices.Equal(got, tt.want) {
			t.Errorf("caseRuns(%q, %d, %d) = %q, want %q", ab, tt.count, tt.skip, got, tt.want)
		}
	}
}

// fakeL1 stands for one boot of the nested guest: it feeds the runner's
// lines to r and ends as a boot of L1 does.
type fakeL1 struct {
	lines []string
	end   string // "done", "reset" (L1's triple fault), "lockup" (in a guest's QEMU), "wakeup" (the runner's lost wake-up), "silent" or "fail"
}

// TestBootAfterResets: an L1 that resets itself is booted again, going on
// from the case it was running (a RETRY line that names the reset), at
// most l1Reboots times; a case's failure, a silent L1 and an L1 that
// powered off early are not booted again.
func TestBootAfterResets(t *testing.T) {
	up := markUp + " uptime=3.4"
	tests := []struct {
		name      string
		boots     []fakeL1
		wantSkips []int // the case runs each boot skips (cfg.Skip)
		wantRuns  []int // the runs its first case had before (cfg.SkipRuns); nil: not checked
		wantErr   string
		wantOut   []string
		retried   []string
	}{
		{"no reset", []fakeL1{{[]string{up, markRun + "a", markPass + "a (1.00s)", markRun + "b", markPass + "b (1.00s)", markDone}, "done"}},
			[]int{0}, nil, "", nil, nil},
		{"reset in b, then done", []fakeL1{
			{[]string{up, markRun + "a", markPass + "a (1.00s)", markRun + "b"}, "reset"},
			{[]string{up, markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 1}, nil, "", []string{"RETRY b: L1 reset itself", "booting L1 again (1 of 2)"}, []string{"b"}},
		{"reset before a case", []fakeL1{
			{[]string{up}, "reset"},
			{[]string{up, markRun + "a", markPass + "a (1.00s)", markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 0}, nil, "", []string{"before a case started; booting L1 again (1 of 2)"}, nil},
		{"two resets", []fakeL1{
			{[]string{up, markRun + "a"}, "reset"},
			{[]string{up, markRun + "a", markPass + "a (1.00s)", markRun + "b"}, "reset"},
			{[]string{up, markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 0, 1}, nil, "", []string{"RETRY a: L1 reset itself", "RETRY b: L1 reset itself", "(2 of 2)"}, []string{"a", "b"}},
		{"three resets fail", []fakeL1{
			{[]string{up, markRun + "a"}, "reset"},
			{[]string{up, markRun + "a"}, "reset"},
			{[]string{up, markRun + "a"}, "reset"},
		}, []int{0, 0, 0}, nil, "reset itself, locked up or lost a wake-up 3 times in this run", nil, []string{"a", "a"}},
		{"lockup in b, then done", []fakeL1{
			{[]string{up, markRun + "a", markPass + "a (1.00s)", markRun + "b"}, "lockup"},
			{[]string{up, markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 1}, nil, "", []string{"RETRY b: L1 locked up: the nested guest's kernel reports its CPU stuck", "l1-lockup-1.txt", "l1-lockup-1.log", "booting L1 again (1 of 2)"}, []string{"b"}},
		{"a reset and a lockup", []fakeL1{
			{[]string{up, markRun + "a"}, "reset"},
			{[]string{up, markRun + "a", markPass + "a (1.00s)", markRun + "b"}, "lockup"},
			{[]string{up, markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 0, 1}, nil, "", []string{"RETRY a: L1 reset itself", "RETRY b: L1 locked up", "(2 of 2)"}, []string{"a", "b"}},
		{"three lockups fail", []fakeL1{
			{[]string{up, markRun + "a"}, "lockup"},
			{[]string{up, markRun + "a"}, "lockup"},
			{[]string{up, markRun + "a"}, "lockup"},
		}, []int{0, 0, 0}, nil, "reset itself, locked up or lost a wake-up 3 times in this run", nil, []string{"a", "a"}},
		{"reset in b's second run", []fakeL1{
			{[]string{up, markRun + "a", markPass + "a (1.00s)", markRun + "b", retryLine("b"), markRun + "b"}, "reset"},
			{[]string{up, markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 1}, []int{0, 2}, "", []string{"RETRY b: L1 reset itself", "(run 3 of at most 3 of the case, rerun 2 of at most " + strconv.Itoa(runReruns)}, []string{"b", "b"}},
		{"reset in a's last run fails a", []fakeL1{
			{[]string{up, markRun + "a", retryLine("a"), markRun + "a", retryLine("a"), markRun + "a"}, "reset"},
			{[]string{up, markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 1}, []int{0, 0}, "1 passed, 1 failed: a", []string{"FAIL a: L1 reset itself", "during its run 3 (a case runs at most 3 times", "booting L1 again (1 of 2) for the cases after it"}, []string{"a", "a"}},
		{"a lockup in a's run after a reset", []fakeL1{
			{[]string{up, markRun + "a"}, "reset"},
			{[]string{up, markRun + "a", retryLine("a"), markRun + "a"}, "lockup"},
			{[]string{up, markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 0, 1}, []int{0, 1, 0}, "1 passed, 1 failed: a", []string{"RETRY a: L1 reset itself", "FAIL a: L1 locked up", "during its run 3"}, []string{"a", "a"}},
		{"lost wake-up in b, then done", []fakeL1{
			{[]string{up, markRun + "a", markPass + "a (1.00s)", markRun + "b", markInfo + " L1 lost a wake-up: …", markWedged + "a gotoro guest's vCPU thread …"}, "wakeup"},
			{[]string{up, markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 1}, []int{0, 1}, "", []string{"RETRY b: L1 lost a wake-up in case b: a gotoro guest's vCPU thread (pid 428 tid 433) woken in kvm_vcpu_block", "l1-wakeup-1.txt", "l1-wakeup-1.log", "booting L1 again (1 of 2) and running it again (run 2 of at most 3 of the case, rerun 1 of at most"}, []string{"b"}},
		{"a lost wake-up, a lockup and a reset fail", []fakeL1{
			{[]string{up, markRun + "a"}, "wakeup"},
			{[]string{up, markRun + "a"}, "lockup"},
			{[]string{up, markRun + "a"}, "reset"},
		}, []int{0, 0, 0}, nil, "reset itself, locked up or lost a wake-up 3 times in this run", []string{"RETRY a: L1 lost a wake-up", "RETRY a: L1 locked up"}, []string{"a", "a"}},
		{"lost wake-up in a's last run fails a", []fakeL1{
			{[]string{up, markRun + "a", retryLine("a"), markRun + "a", retryLine("a"), markRun + "a"}, "wakeup"},
			{[]string{up, markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0, 1}, []int{0, 0}, "1 passed, 1 failed: a", []string{"FAIL a: L1 lost a wake-up", "during its run 3 (a case runs at most 3 times"}, []string{"a", "a"}},
		{"a case fails", []fakeL1{
			{[]string{up, markRun + "a", markFail + "a (1.00s)", markRun + "b", markPass + "b (1.00s)", markDone}, "done"},
		}, []int{0}, nil, "1 passed, 1 failed: a", nil, nil},
		{"L1 silent", []fakeL1{{[]string{up, markRun + "a"}, "silent"}}, []int{0}, nil, "L1 itself seems stuck", nil, nil},
		{"L1 stopped early without a reset", []fakeL1{{[]string{up, markRun + "a"}, "fail"}}, []int{0}, nil, "did not run or finish", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			stale := resetStopFile(work, 3) // an earlier run's
			os.WriteFile(stale, nil, 0o644)
			clearResetFiles(work)
			if _, err := os.Stat(stale); err == nil {
				t.Errorf("clearResetFiles left %s", stale)
			}
			st := &stepper{start: time.Now()}
			r := &results{want: []string{"a", "b"}, count: 1}
			var skips, runs []int
			var cfg laneConfig
			var out bytes.Buffer
			err := bootAfterResets(func(resets int) error {
				if resets >= len(tt.boots) {
					t.Fatalf("boot %d, want at most %d", resets+1, len(tt.boots))
				}
				if resets > 0 {
					cfg.afterReset(r) // what the host writes to L1's config
				}
				skips = append(skips, cfg.Skip)
				runs = append(runs, cfg.SkipRuns)
				b := tt.boots[resets]
				r.up, r.done, r.running = false, false, ""
				for _, l := range b.lines {
					r.line(l, false, st)
				}
				switch b.end {
				case "reset":
					// What watchL1 leaves behind at L1's triple fault.
					os.WriteFile(resetStopFile(work, resets+1), []byte("CPU#0\nRIP=ffffffff81000000\n"), 0o644)
					os.WriteFile(filepath.Join(work, "l0-qemu.log"), []byte("Triple fault\n"), 0o644)
					os.WriteFile(filepath.Join(work, "l1.log"), []byte(strings.Join(b.lines, "\n")), 0o644)
					return l1ResetError{failedError{"the nested guest reset itself"}, r.running, keepResetFiles(work, resets+1), ""}
				case "lockup":
					// What watchL1 leaves behind when it ends a locked-up L1.
					os.WriteFile(filepath.Join(work, "l1-silent.txt"), []byte("CPU#1\nRIP=ffffffffc04103d2\n"), 0o644)
					os.WriteFile(filepath.Join(work, "l1.log"), []byte(strings.Join(b.lines, "\n")), 0o644)
					why := "the nested guest's kernel reports its CPU stuck for longer than 2m0s (\"watchdog: BUG: soft lockup - CPU#1 stuck for 126s! [khugepaged:47]\")"
					return l1ResetError{failedError{why}, r.running, keepLockupFiles(work, "l1-lockup", resets+1), "L1 locked up: " + why}
				case "wakeup":
					// What watchL1 leaves behind when the runner reports
					// L1's lost wake-up (lostwake.go).
					os.WriteFile(filepath.Join(work, "l1-silent.txt"), []byte("CPU#2\nRIP=ffffffff81a0c3ce HLT=1\n"), 0o644)
					os.WriteFile(filepath.Join(work, "l1.log"), []byte(strings.Join(b.lines, "\n")), 0o644)
					why := "L1 lost a wake-up in case " + r.running + ": a gotoro guest's vCPU thread (pid 428 tid 433) woken in kvm_vcpu_block ← kvm_vcpu_halt has not run for 22s"
					return l1ResetError{failedError{why}, r.running, keepLockupFiles(work, "l1-wakeup", resets+1), why}
				case "silent":
					return failedError{"the nested guest printed nothing; L1 itself seems stuck"}
				}
				return r.summary()
			}, r, &out, st.logf)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			if err != nil && exitCode(err) != exitFailed {
				t.Errorf("exit code %d for %v, want %d", exitCode(err), err, exitFailed)
			}
			if !slices.Equal(skips, tt.wantSkips) {
				t.Errorf("boots skipped %v case runs, want %v", skips, tt.wantSkips)
			}
			if tt.wantRuns != nil && !slices.Equal(runs, tt.wantRuns) {
				t.Errorf("boots began with a case of %v earlier runs, want %v", runs, tt.wantRuns)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output %q lacks %q", out.String(), w)
				}
			}
			if !slices.Equal(r.retried, tt.retried) {
				t.Errorf("retried %q, want %q", r.retried, tt.retried)
			}
			if n := strings.Count(out.String(), "L1 reset itself") + strings.Count(out.String(), "L1 locked up") + strings.Count(out.String(), "L1 lost a wake-up"); n != len(r.resets) || n > l1Reboots {
				t.Errorf("%d resets reported, %d recorded, at most %d", n, len(r.resets), l1Reboots)
			}
			// Every reset's report is kept under its own number.
			for i := 1; i <= min(len(tt.boots)-1, l1Reboots) && tt.boots[i-1].end == "reset"; i++ {
				for _, f := range []string{"l1-stop-%d.txt", "l0-qemu-reset-%d.log", "l1-reset-%d.log"} {
					p := filepath.Join(work, strings.Replace(f, "%d", string(rune('0'+i)), 1))
					if _, err := os.Stat(p); err != nil {
						t.Errorf("reset %d: %v", i, err)
					}
					if !strings.Contains(out.String(), p) {
						t.Errorf("output does not name %s", p)
					}
				}
			}
		})
	}
}

// retryLine is the L1 runner's RETRY line for an artefact in a run of
// case name.
func retryLine(name string) string {
	return markRetry + name + " (1.00s): the kernel reports an interrupt delivered twice; running it again (...)"
}

// TestRerunsOfARun: a lane run's reruns are bounded as a whole: when the
// cases before have used them, a reset in a case's first run fails it.
func TestRerunsOfARun(t *testing.T) {
	up := markUp + " uptime=3.4"
	st := &stepper{start: time.Now()}
	r := &results{want: []string{"a", "b", "c"}, count: 1}
	var lines []string
	lines = append(lines, up)
	for _, c := range []string{"a", "b"} {
		for range runReruns / 2 {
			lines = append(lines, markRun+c, retryLine(c))
		}
		lines = append(lines, markRun+c, markPass+c+" (1.00s)")
	}
	lines = append(lines, markRun+"c")
	var out bytes.Buffer
	var cfgs [][2]int
	var cfg laneConfig
	err := bootAfterResets(func(resets int) error {
		if resets > 0 {
			cfg.afterReset(r)
		}
		cfgs = append(cfgs, [2]int{cfg.Skip, cfg.Reruns})
		r.up, r.done, r.running = false, false, ""
		if resets == 0 {
			for _, l := range lines {
				r.line(l, false, st)
			}
			return l1ResetError{failedError{"the nested guest reset itself"}, r.running, "its registers: x", ""}
		}
		for _, l := range []string{up, markDone} {
			r.line(l, false, st)
		}
		return r.summary()
	}, r, &out, st.logf)
	if err == nil || !strings.Contains(err.Error(), "2 passed, 1 failed: c") {
		t.Errorf("error %v, want c failed", err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("FAIL c: L1 reset itself (a triple fault of Linux at L1 under L0's TCG; its registers: x) during its run 1 (a case runs at most %d times, a lane run reruns at most %d, %d used)", artefactRuns, runReruns, runReruns)) {
		t.Errorf("output %q lacks c's failure with the bounds", out.String())
	}
	if want := [][2]int{{0, 0}, {3, runReruns}}; !slices.Equal(cfgs, want) {
		t.Errorf("boots' (Skip, Reruns) %v, want %v", cfgs, want)
	}
}

// TestAfterReset: the next boot of L1 goes on from the interrupted case
// or boot benchmark with their runs so far; an interrupted reproducer
// runs again from its first run, and the case after it from its own.
func TestAfterReset(t *testing.T) {
	for _, tc := range []struct {
		name                string
		running             string
		runs                int
		skipRuns, benchRuns int
		rRuns               int // r.runs after
	}{
		{"between cases", "", 0, 0, 0, 0},
		{"in a case's second run", "a", 2, 2, 0, 2},
		{"in the boot benchmark", bootBenchName, 1, 0, 1, 1},
		{"in the reproducer", reproName, 1, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &results{cases: 3, running: tc.running, runs: tc.runs, retried: []string{"x"}, reproSeen: true}
			c := laneConfig{LinuxControl: true, Repro: time.Minute, SkipRuns: 9, BenchRuns: 9}
			c.afterReset(r)
			if c.Skip != 3 || c.SkipRuns != tc.skipRuns || c.BenchRuns != tc.benchRuns || c.Reruns != 1 || c.LinuxControl || c.Repro != 0 || r.runs != tc.rRuns {
				t.Errorf("config %+v, runs %d; want Skip 3, SkipRuns %d, BenchRuns %d, Reruns 1, no control or reproducer, runs %d", c, r.runs, tc.skipRuns, tc.benchRuns, tc.rRuns)
			}
		})
	}
}

// An L1 reset fails the run when it is not recovered.
func TestL1ResetErrorIsFailed(t *testing.T) {
	var f failedError
	if err := error(l1ResetError{failedError: failedError{"reset"}}); !errors.As(err, &f) || exitCode(err) != exitFailed {
		t.Fatalf("exitCode(%v) = %d, want %d", err, exitCode(err), exitFailed)
	}
}

// TestL1IDT: the IDT cleared is L1's own, from a vCPU in L1's kernel,
// never a gotoro guest's one that a vCPU in guest mode shows.
func TestL1IDT(t *testing.T) {
	guest := "CPU#0\nRIP=0000000000201000\nIDT=     00000000003fef00 00000fff\n"
	l1 := "CPU#1\nRIP=ffffffff85c17a0b\nGDT=     fffffe0000032000 0000007f\nIDT=     fffffe0000000000 00000fff\n"
	cpu, base, limit, err := l1IDT(guest + l1)
	if err != nil || cpu != 1 || base != 0xfffffe0000000000 || limit != 0xfff {
		t.Errorf("l1IDT = %d, %#x, %#x, %v; want 1, 0xfffffe0000000000, 0xfff, nil", cpu, base, limit, err)
	}
	if _, _, _, err := l1IDT(guest); !errors.Is(err, errNoL1CPU) {
		t.Errorf("l1IDT(only a guest's IDT) = %v, want errNoL1CPU", err)
	}
	for _, bad := range []string{"", "CPU#0\nIDT=     fffffe0000000000\n", "IDT=     xyz 00000fff\n", "IDT=     fffffe0000000000 00000000\n"} {
		if _, _, _, err := l1IDT(bad); err == nil {
			t.Errorf("l1IDT(%q) gave no error", bad)
		}
	}
}
