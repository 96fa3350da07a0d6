package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// l1Reboots is how many times one lane run boots the nested guest again
// after it reset itself (a triple fault of Linux at L1, which only L0's
// TCG causes; docs/kvm.md), locked up, a CPU of it stuck in its kernel
// during a case (lockupReboot), or lost a wake-up (lostwake.go). On 2026-12-07 one reset during the ninth of twenty
// wake runs; the eight before it had passed. A third reset or lockup in
// one run fails the run as any early stop of L1 does.
const l1Reboots = 2

// l1ResetError is a nested guest that reset itself, or that the lane
// ended because a CPU of it was stuck in its kernel (lockupReboot), before
// its runner finished: the case it was running (empty before the
// first) and where the lane kept its report.
type l1ResetError struct {
	failedError
	cas   string // the case L1 was running
	files string // the saved report, for the RETRY line
	// what L1 did, for the RETRY line: "L1 locked up: …" or "L1 lost a
	// wake-up …"; "" for its own reset.
	what string
}

func (e l1ResetError) Unwrap() error { return e.failedError }

// bootAfterResets runs boot, and runs it again (at most l1Reboots more
// times) while it fails with a nested guest that reset itself or locked
// up; boot's argument is how many resets came before. The case L1 was
// running runs again first in the next boot, as a RETRY line says, if it
// has runs left (artefactRuns, its interrupted ones included) and the
// lane run reruns (runReruns); else that was its last run and it fails
// (a FAIL line), and the next boot goes on after it. Each reset is
// recorded in r for the summary. Any other outcome (a case's failure, a
// silent or panicked L1, a guest's own reset) is returned as it is.
func bootAfterResets(boot func(resets int) error, r *results, out io.Writer, logf func(string, ...any)) error {
	for resets := 0; ; resets++ {
		err := boot(resets)
		var re l1ResetError
		if !errors.As(err, &re) {
			return err
		}
		if resets >= l1Reboots {
			return fmt.Errorf("%w (%s); L1 reset itself, locked up or lost a wake-up %d times in this run, booted again at most %d times", err, re.files, resets+1, l1Reboots)
		}
		what := fmt.Sprintf("L1 reset itself (a triple fault of Linux at L1 under L0's TCG; %s)", re.files)
		if re.what != "" {
			what = fmt.Sprintf("%s (%s)", re.what, re.files)
		}
		t := try{run: r.runs, reruns: len(r.retried)}
		switch {
		case re.cas != "" && t.mayRetry():
			r.retried = append(r.retried, re.cas)
			fmt.Fprintf(out, "RETRY %s: %s; booting L1 again (%d of %d) and running it again (%s)\n", re.cas, what, resets+1, l1Reboots, t.again())
		case re.cas != "":
			// Its last run: the case fails, and the next boot of L1 goes
			// on after it.
			fmt.Fprintf(out, "FAIL %s: %s during its run %d (a case runs at most %d times, a lane run reruns at most %d, %d used); booting L1 again (%d of %d) for the cases after it\n",
				re.cas, what, t.run, artefactRuns, runReruns, t.reruns, resets+1, l1Reboots)
			r.failed = append(r.failed, re.cas)
			r.finished(re.cas)
		default:
			fmt.Fprintf(out, "kvmlane: %s before a case started; booting L1 again (%d of %d)\n", what, resets+1, l1Reboots)
		}
		r.resets = append(r.resets, what)
		logf("booting the nested guest again; %d case run(s) finished before it", r.cases)
	}
}

// resetStopFile is where watchL1 saves L1's registers at the nth reset
// of a run (from 1).
func resetStopFile(work string, n int) string {
	return filepath.Join(work, fmt.Sprintf("l1-stop-%d.txt", n))
}

// keepResetFiles copies L0's log and L1's console to names numbered by
// the reset (n, from 1), which the next boot of L1 does not overwrite,
// beside L1's registers (resetStopFile). It returns where they are, for
// the RETRY line.
func keepResetFiles(work string, n int) string {
	stop := resetStopFile(work, n)
	if _, err := os.Stat(stop); err != nil {
		stop = err.Error()
	}
	l0 := filepath.Join(work, fmt.Sprintf("l0-qemu-reset-%d.log", n))
	if err := copyFile(filepath.Join(work, "l0-qemu.log"), l0); err != nil {
		l0 = err.Error()
	}
	con := filepath.Join(work, fmt.Sprintf("l1-reset-%d.log", n))
	if err := copyFile(filepath.Join(work, "l1.log"), con); err != nil {
		con = err.Error()
	}
	return fmt.Sprintf("its registers: %s; L0's log of resets: %s; its console: %s", stop, l0, con)
}

// keepLockupFiles copies L1's sampled registers and its console (with
// the stuck CPUs' reports, or the runner's report of a lost wake-up) to
// names that start with prefix ("l1-lockup", "l1-wakeup") and are
// numbered by the reboot (n, from 1), and returns where they are, for
// the RETRY line.
func keepLockupFiles(work, prefix string, n int) string {
	regs := filepath.Join(work, fmt.Sprintf("%s-%d.txt", prefix, n))
	if err := copyFile(filepath.Join(work, "l1-silent.txt"), regs); err != nil {
		regs = err.Error()
	}
	con := filepath.Join(work, fmt.Sprintf("%s-%d.log", prefix, n))
	if err := copyFile(filepath.Join(work, "l1.log"), con); err != nil {
		con = err.Error()
	}
	return fmt.Sprintf("its registers: %s; its console: %s", regs, con)
}

// clearResetFiles removes the numbered reset reports of an earlier lane
// run from work, so that those there belong to this run.
func clearResetFiles(work string) {
	for _, pat := range []string{"l1-stop-*.txt", "l0-qemu-reset-*.log", "l1-reset-*.log", "l1-lockup-*.txt", "l1-lockup-*.log", "l1-wakeup-*.txt", "l1-wakeup-*.log"} {
		old, _ := filepath.Glob(filepath.Join(work, pat))
		for _, f := range old {
			os.Remove(f)
		}
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
