package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A case's run that outlives every bound of its own — the case's timeout
// (at most 10 minutes), QEMU's kill a minute later and the machine-state
// dump — is stuck below gotoro: seen once (2026-12-07, wake/cpus=2 in a
// CI run) with L1 otherwise idle, its load average at 1 and the L2 QEMU
// not gone after its kill, so the runner waited on it until the lane's
// 40-minute bound. The runner then prints what L1's tasks that neither
// sleep nor stop are doing (state, wait channel, kernel stack) and fails
// the case and the run at once.

// runOverdue is how long one run of a case may take at the lane's
// default -slow (4) before the runner calls it stuck: the slowest cases
// take 2–4 minutes on a loaded host (virtio-fs, wake/cpus=4; docs/kvm.md
// "Cost in CI"). It is not the cases' own bound scaled by -slow (wake's
// 10 minutes would be 40, the whole run's bound), so a stuck run is named
// while the lane still has time to say so.
const runOverdue = 12 * time.Minute

// defaultSlow is the lane's default -slow.
const defaultSlow = 4

// overdueAfter returns runOverdue, scaled up when -slow is above its
// default.
func overdueAfter(slow float64) time.Duration {
	if slow > defaultSlow {
		return time.Duration(float64(runOverdue) * slow / defaultSlow)
	}
	return runOverdue
}

// watchOverdue calls stuck if done is not closed within d.
func watchOverdue(d time.Duration, done <-chan struct{}, stuck func()) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		stuck()
	}
}

// busyTask is a task of L1 that is running, runnable or in an
// uninterruptible wait.
type busyTask struct {
	pid, tid    string
	comm, state string
	wchan       string
	stack       string
}

// taskState returns the state letter and command of a /proc/PID/stat
// line ("pid (comm) S ..."; comm may hold spaces and parentheses).
func taskState(stat string) (comm, state string, ok bool) {
	open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || end < open || end+2 >= len(stat) {
		return "", "", false
	}
	return stat[open+1 : end], stat[end+2 : end+3], true
}

// busyTasks lists the tasks under root (a /proc) in state R or D, with
// their wait channel and kernel stack where readable. The reader itself
// is left out.
func busyTasks(root string) []busyTask {
	self := fmt.Sprint(os.Getpid())
	var out []busyTask
	pids, _ := filepath.Glob(filepath.Join(root, "[0-9]*"))
	for _, p := range pids {
		tids, _ := filepath.Glob(filepath.Join(p, "task", "[0-9]*"))
		for _, t := range tids {
			pid, tid := filepath.Base(p), filepath.Base(t)
			if pid == self {
				continue
			}
			b, err := os.ReadFile(filepath.Join(t, "stat"))
			if err != nil {
				continue
			}
			comm, state, ok := taskState(string(b))
			if !ok || (state != "R" && state != "D") {
				continue
			}
			wchan, _ := os.ReadFile(filepath.Join(t, "wchan"))
			stack, _ := os.ReadFile(filepath.Join(t, "stack"))
			out = append(out, busyTask{pid: pid, tid: tid, comm: comm, state: state,
				wchan: string(wchan), stack: strings.TrimSpace(string(stack))})
		}
	}
	return out
}

// reportOverdue prints the stuck run's picture as the case's failure.
func reportOverdue(name string, d time.Duration) {
	fmt.Printf("%s%s (%.2fs)\n", markFail, name, d.Seconds())
	fmt.Printf("    one run of the case has not ended in %v, past its own timeout, QEMU's kill and the state dump: something below gotoro is stuck (docs/kvm.md, \"A run stuck past its bounds\"); L1's running, runnable and uninterruptible tasks:\n", d)
	for _, l := range strings.Split(strings.TrimRight(busyTasksReport(busyTasks("/proc")), "\n"), "\n")[1:] {
		fmt.Printf("    %s\n", l)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("    loadavg %s", b)
	}
}
