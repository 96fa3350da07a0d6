package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	// cpu is the CPU it last ran on, for a runnable task the one whose
	// run queue holds it (/proc/PID/stat's processor); -1 if unknown.
	cpu int
	// ran is the CPU time it has run in all (/proc/PID/schedstat's
	// first field, ns); ranOK says it was read.
	ran   uint64
	ranOK bool
}

// where says, for a report, the CPU t last ran on and its run time,
// where known.
func (t busyTask) where() string {
	var s string
	if t.cpu >= 0 {
		s += fmt.Sprintf(" cpu %d", t.cpu)
	}
	if t.ranOK {
		s += fmt.Sprintf(" ran %v", time.Duration(t.ran).Round(time.Microsecond))
	}
	return s
}

// taskCPU returns the processor field (the 39th) of a /proc/PID/stat
// line, or -1.
func taskCPU(stat string) int {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return -1
	}
	// The fields after the comm start with the state, field 3.
	f := strings.Fields(stat[end+1:])
	if len(f) < 39-2 {
		return -1
	}
	n, err := strconv.Atoi(f[39-3])
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// schedRan returns the run time, in ns, of a /proc/PID/schedstat line
// ("ran waited slices").
func schedRan(schedstat string) (uint64, bool) {
	f := strings.Fields(schedstat)
	if len(f) < 1 {
		return 0, false
	}
	n, err := strconv.ParseUint(f[0], 10, 64)
	return n, err == nil
}

// readTask reads the task at dir (/proc/PID/task/TID) whatever its
// state; false if it is gone.
func readTask(dir, pid, tid string) (busyTask, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return busyTask{}, false
	}
	comm, state, ok := taskState(string(b))
	if !ok {
		return busyTask{}, false
	}
	wchan, _ := os.ReadFile(filepath.Join(dir, "wchan"))
	stack, _ := os.ReadFile(filepath.Join(dir, "stack"))
	t := busyTask{pid: pid, tid: tid, comm: comm, state: state,
		wchan: string(wchan), stack: strings.TrimSpace(string(stack)), cpu: taskCPU(string(b))}
	if ss, err := os.ReadFile(filepath.Join(dir, "schedstat")); err == nil {
		t.ran, t.ranOK = schedRan(string(ss))
	}
	return t, true
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
			task, ok := readTask(t, pid, tid)
			if !ok || (task.state != "R" && task.state != "D") {
				continue
			}
			out = append(out, task)
		}
	}
	return out
}

// reportOverdue prints the stuck run's picture as the case's failure. If
// the picture is L1's lost wake-up (overdueLostWakeup), it returns its
// description: the host then boots L1 again.
func reportOverdue(name string, d time.Duration) string {
	tasks := busyTasks("/proc")
	lost := overdueLostWakeup(tasks, d)
	// A lost wake-up is not the case's failure: its run is reported by
	// the host's RETRY line, with this report before it.
	indent := "    "
	if lost != "" {
		indent = markInfo + " lost wake-up| "
	} else {
		fmt.Printf("%s%s (%.2fs)\n", markFail, name, d.Seconds())
	}
	fmt.Printf("%sone run of the case has not ended in %v, past its own timeout, QEMU's kill and the state dump: something below gotoro is stuck (docs/kvm.md, \"A run stuck past its bounds\"); L1's running, runnable and uninterruptible tasks:\n", indent, d)
	for _, l := range strings.Split(strings.TrimRight(busyTasksReport(tasks), "\n"), "\n")[1:] {
		fmt.Printf("%s%s\n", indent, l)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("%sloadavg %s\n", indent, strings.TrimSpace(string(b)))
	}
	return lost
}

// overdueLostWakeup returns, for the busy tasks of a run overdue by d,
// the lost wake-up they show, or "": a woken vCPU thread (wokenVCPU)
// and no other runnable task. One look cannot show that the thread has
// not run (the watcher, watchLostWakeup, follows its run time); a run
// overdue by minutes with only that thread runnable can.
func overdueLostWakeup(tasks []busyTask, d time.Duration) string {
	var woken []busyTask
	for _, t := range tasks {
		switch {
		case wokenVCPU(t):
			woken = append(woken, t)
		case t.state == "R":
			return ""
		}
	}
	if len(woken) == 0 {
		return ""
	}
	return fmt.Sprintf("the case was overdue at %v with only a gotoro guest's vCPU thread (pid %s tid %s) runnable, woken in kvm_vcpu_block ← kvm_vcpu_halt: L1's lost wake-up", d, woken[0].pid, woken[0].tid)
}
