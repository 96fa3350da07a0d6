package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parseBusyReport reads the tasks of a busyTasksReport as a lane log
// shows it (each line indented, the frames below their task).
func parseBusyReport(t *testing.T, report string) []busyTask {
	t.Helper()
	var out []busyTask
	for _, l := range strings.Split(report, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[<") && len(out) > 0 {
			bt := &out[len(out)-1]
			bt.stack = strings.TrimSpace(bt.stack + "\n" + l)
			continue
		}
		rest, ok := strings.CutPrefix(l, "pid ")
		if !ok {
			continue
		}
		bt := busyTask{cpu: -1}
		bt.pid, rest, _ = strings.Cut(rest, " tid ")
		bt.tid, rest, _ = strings.Cut(rest, " ")
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			t.Fatalf("task line %q: %v", l, err)
		}
		bt.comm, _ = strconv.Unquote(q)
		f := strings.Fields(rest[len(q):])
		for i := 0; i+1 < len(f); i += 2 {
			switch f[i] {
			case "state":
				bt.state = f[i+1]
			case "wchan":
				bt.wchan = f[i+1]
			case "cpu":
				bt.cpu, _ = strconv.Atoi(f[i+1])
			case "ran":
				d, err := time.ParseDuration(f[i+1])
				bt.ran, bt.ranOK = uint64(d), err == nil
			}
		}
		out = append(out, bt)
	}
	return out
}

// ci14c is the one busy task of the overdue report of the project's CI
// of 5f91a30 (testdata/overdue-ci14c.txt): L2's vCPU thread runnable in
// kvm_vcpu_block, woken and never run for 12 minutes.
func ci14c(t *testing.T) busyTask {
	t.Helper()
	b, err := os.ReadFile("testdata/overdue-ci14c.txt")
	if err != nil {
		t.Fatal(err)
	}
	tasks := parseBusyReport(t, string(b))
	if len(tasks) != 1 || tasks[0].tid != "433" || tasks[0].state != "R" || !strings.Contains(tasks[0].stack, "entry_SYSCALL_64_after_hwframe") {
		t.Fatalf("the CI report's tasks: %+v", tasks)
	}
	return tasks[0]
}

// The stacks of the near misses, in /proc/PID/stack's form.
const (
	// A vCPU thread running guest code: R is its normal state there.
	stackInGuest = "[<0>] __svm_vcpu_run+0x9c/0x110 [kvm_amd]\n[<0>] svm_vcpu_run+0x1ba/0x6a0 [kvm_amd]\n[<0>] vcpu_enter_guest+0x5e1/0x1280 [kvm]\n[<0>] kvm_arch_vcpu_ioctl_run+0x1c6/0x1750 [kvm]\n[<0>] kvm_vcpu_ioctl+0x25e/0x720 [kvm]"
	// What the overdue report's 3-second demonstration showed of a
	// running vCPU (docs/kvm.md): the unwinder mixes in older frames.
	stackInGuestDemo = "[<0>] __svm_vcpu_run+0x9c/0x110 [kvm_amd]\n[<0>] kvm_vcpu_halt+0xba/0x3e0 [kvm]\n[<0>] kvm_arch_vcpu_ioctl_run+0xa4e/0x1750 [kvm]"
	stackWorker      = "[<0>] worker_thread+0xb5/0x3c0\n[<0>] kthread+0xd7/0x100\n[<0>] ret_from_fork+0x22/0x30"
	stackKhugepaged  = "[<0>] flush_work+0x14f/0x1e0\n[<0>] __lru_add_drain_all+0x12e/0x1e0\n[<0>] khugepaged+0x6d/0x2510\n[<0>] kthread+0xd7/0x100"
	// kvm_vcpu_block reached from elsewhere than the halt (a vCPU
	// waiting for its INIT/SIPI, say) is not the halt's wake-up.
	stackBlockNotHalt = "[<0>] kvm_vcpu_block+0x52/0xc0 [kvm]\n[<0>] kvm_arch_vcpu_ioctl_run+0x5f0/0x1750 [kvm]\n[<0>] kvm_vcpu_ioctl+0x25e/0x720 [kvm]"
)

func TestWokenVCPU(t *testing.T) {
	real := ci14c(t)
	with := func(state, stack string) busyTask {
		b := real
		b.state, b.stack = state, stack
		return b
	}
	tests := []struct {
		name string
		task busyTask
		want bool
	}{
		{"the CI of 5f91a30: R in kvm_vcpu_block ← kvm_vcpu_halt", real, true},
		{"S in kvm_vcpu_block: halted, waiting for its interrupt", with("S", real.stack), false},
		{"D in kvm_vcpu_block", with("D", real.stack), false},
		{"R in __svm_vcpu_run: running guest code", with("R", stackInGuest), false},
		{"R in __svm_vcpu_run, the demonstration's stack", with("R", stackInGuestDemo), false},
		{"R in kvm_vcpu_block not from kvm_vcpu_halt", with("R", stackBlockNotHalt), false},
		{"R kworker", with("R", stackWorker), false},
		{"D khugepaged", with("D", stackKhugepaged), false},
		{"R with no stack", with("R", ""), false},
	}
	for _, tt := range tests {
		if got := wokenVCPU(tt.task); got != tt.want {
			t.Errorf("%s: wokenVCPU = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFrameFunc(t *testing.T) {
	for in, want := range map[string]string{
		"[<0>] kvm_vcpu_block+0x52/0xc0 [kvm]": "kvm_vcpu_block",
		"  [<0>] do_syscall_64+0x5d/0x90":      "do_syscall_64",
		"kvm_vcpu_halt+0xba/0x3e0 [kvm]":       "kvm_vcpu_halt",
		"":                                     "",
	} {
		if got := frameFunc(in); got != want {
			t.Errorf("frameFunc(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOverdueLostWakeup: the one-look rule at the 12-minute bound.
func TestOverdueLostWakeup(t *testing.T) {
	real := ci14c(t)
	other := func(comm, state, stack string) busyTask {
		return busyTask{pid: "50", tid: "50", comm: comm, state: state, stack: stack, cpu: 0}
	}
	running := real
	running.stack = stackInGuest
	tests := []struct {
		name  string
		tasks []busyTask
		want  bool
	}{
		{"the CI of 5f91a30", []busyTask{real}, true},
		{"and a task in D", []busyTask{real, other("khugepaged", "D", stackKhugepaged)}, true},
		{"and another runnable task", []busyTask{real, other("kworker/0:1", "R", stackWorker)}, false},
		{"a vCPU in guest code", []busyTask{running}, false},
		{"nothing busy", nil, false},
	}
	for _, tt := range tests {
		got := overdueLostWakeup(tt.tasks, runOverdue)
		if (got != "") != tt.want {
			t.Errorf("%s: overdueLostWakeup = %q, want a verdict: %v", tt.name, got, tt.want)
		}
		if got != "" && !strings.Contains(got, "tid 433") {
			t.Errorf("%s: verdict %q does not name the thread", tt.name, got)
		}
	}
}

// TestWakeWatch: the watcher's verdict over looks wakeEvery apart,
// with the CI's thread and near misses.
func TestWakeWatch(t *testing.T) {
	real := ci14c(t)
	real.cpu, real.ran, real.ranOK = 2, 5_000_000, true
	at := func(tk busyTask, ran uint64) busyTask { tk.ran = ran; return tk }
	onCPU := func(tk busyTask, cpu int) busyTask { tk.cpu = cpu; return tk }
	state := func(tk busyTask, s string) busyTask { tk.state = s; return tk }
	hog := busyTask{pid: "60", tid: "60", comm: "spin", state: "R", stack: "", cpu: 2, ran: 1, ranOK: true}
	const every, bound = 2 * time.Second, 20 * time.Second
	type look struct {
		tasks []busyTask
		quiet time.Duration
		gap   time.Duration // before the look; every if 0
	}
	same := func(n int, tasks ...busyTask) []look {
		var ls []look
		for range n {
			ls = append(ls, look{tasks: tasks, quiet: time.Hour})
		}
		return ls
	}
	tests := []struct {
		name  string
		looks []look
		want  int // the look (from 1) with the verdict; 0: none
	}{
		{"the CI's thread, not running", same(15, real), 11},
		{"running between looks", func() []look {
			var ls []look
			for i := range 15 {
				ls = append(ls, look{tasks: []busyTask{at(real, uint64(i))}, quiet: time.Hour})
			}
			return ls
		}(), 0},
		{"the guests print", func() []look {
			ls := same(15, real)
			for i := range ls {
				ls[i].quiet = time.Second
			}
			return ls
		}(), 0},
		{"the guests quiet for less than the bound at first", func() []look {
			ls := same(15, real)
			for i := range ls {
				ls[i].quiet = time.Duration(i) * every
			}
			return ls
		}(), 11},
		{"asleep at one look", append(append(same(6, real), look{tasks: []busyTask{state(real, "S")}, quiet: time.Hour}), same(15, real)...), 7 + 11},
		{"in guest code at one look", append(append(same(6, real), look{tasks: []busyTask{{pid: real.pid, tid: real.tid, state: "R", stack: stackInGuest, cpu: 2, ran: 5_000_000, ranOK: true}}, quiet: time.Hour}), same(15, real)...), 7 + 11},
		{"moved to another CPU", append(append(same(6, real), same(1, onCPU(real, 1))...), same(15, onCPU(real, 1))...), 6 + 11},
		{"a task running on its CPU: starved, not lost", func() []look {
			var ls []look
			for i := range 15 {
				ls = append(ls, look{tasks: []busyTask{real, at(hog, uint64(1000+i))}, quiet: time.Hour})
			}
			return ls
		}(), 0},
		{"a task running on another CPU", func() []look {
			var ls []look
			for i := range 15 {
				ls = append(ls, look{tasks: []busyTask{real, onCPU(at(hog, uint64(1000+i)), 0)}, quiet: time.Hour})
			}
			return ls
		}(), 11},
		{"a runnable task on its CPU that does not run either", same(15, real, hog), 11},
		{"a task in D on its CPU", same(15, real, state(hog, "D")), 11},
		{"the runner itself not run for a while", func() []look {
			ls := same(20, real)
			ls[5].gap = 3 * every
			return ls
		}(), 6 + 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWakeWatch(every, bound)
			now := time.Unix(1000, 0)
			got := 0
			for i, l := range tt.looks {
				gap := l.gap
				if gap == 0 {
					gap = every
				}
				now = now.Add(gap)
				v, ok := w.step(l.tasks, l.quiet, now)
				if ok && got == 0 {
					got = i + 1
					if v.task.tid != real.tid || v.notRun < bound || v.quiet < bound {
						t.Errorf("verdict %+v", v)
					}
					if s := v.String(); !strings.Contains(s, "tid 433") || !strings.Contains(s, "kvm_vcpu_block") {
						t.Errorf("verdict says %q", s)
					}
				}
			}
			if got != tt.want {
				t.Errorf("verdict at look %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRanSince(t *testing.T) {
	real := ci14c(t)
	real.ran, real.ranOK = 100, true
	ran := real
	ran.ran = 200
	asleep := real
	asleep.state = "S"
	for _, tc := range []struct {
		name string
		now  busyTask
		ok   bool
		want bool
	}{
		{"still woken, same run time", real, true, false},
		{"run time advanced", ran, true, true},
		{"asleep again", asleep, true, true},
		{"gone", busyTask{}, false, true},
	} {
		if got := ranSince(real, tc.now, tc.ok); got != tc.want {
			t.Errorf("%s: ranSince = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTaskCPUAndRan(t *testing.T) {
	// A /proc/PID/stat line of this machine, its processor field set to 3.
	stat := "541 (cat) R 539 539 15575 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 1224497 3133440 410 18446744073709551615 94496461463552 94496461483433 140735792005920 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0 94496461499440 94496461501056 94497125085184 140735792011971 140735792011991 140735792011991 140735792013291 0"
	if got := taskCPU(stat); got != 3 {
		t.Errorf("taskCPU = %d, want 3", got)
	}
	if got := taskCPU("7 (a) b) R 1 7"); got != -1 {
		t.Errorf("taskCPU(short) = %d, want -1", got)
	}
	if n, ok := schedRan("132207925 69804020 344\n"); !ok || n != 132207925 {
		t.Errorf("schedRan = %d, %v", n, ok)
	}
	if _, ok := schedRan(""); ok {
		t.Error("schedRan of nothing ok")
	}
}

func TestGuestQuiet(t *testing.T) {
	var g guestQuiet
	start := time.Unix(100, 0)
	if got := g.since(start, start.Add(5*time.Second)); got != 5*time.Second {
		t.Errorf("no line: quiet %v, want 5s from the start", got)
	}
	g.saw(start.Add(3 * time.Second))
	if got := g.since(start, start.Add(5*time.Second)); got != 2*time.Second {
		t.Errorf("quiet %v, want 2s", got)
	}
	if got := g.since(start.Add(4*time.Second), start.Add(5*time.Second)); got != time.Second {
		t.Errorf("a line before the run's start: quiet %v, want 1s from the start", got)
	}
}

func TestIdleL1(t *testing.T) {
	vs := []vcpuSample{
		{CPU: 0, RIP: 0x201000, IF: true, Halted: false, CPL: 0},           // in a gotoro guest
		{CPU: 1, RIP: 0xffffffff81a0c3ce, IF: true, Halted: false, CPL: 0}, // running L1's kernel
		{CPU: 2, RIP: 0xffffffff81a0c3ce, IF: false, Halted: true, CPL: 0}, // halted with interrupts off already
		{CPU: 3, RIP: 0xffffffff81a0c3ce, IF: true, Halted: true, CPL: 0},  // L1's idle loop
	}
	for cpu, want := range []bool{false, false, false, true, false} {
		if got := idleL1(vs, cpu); got != want {
			t.Errorf("idleL1(vCPU %d) = %v, want %v", cpu, got, want)
		}
	}
}

// TestClearIF: eflags (QEMU's register 0x11, 32 bits, little-endian) is
// read and written back without its interrupt flag, nothing else changed.
func TestClearIF(t *testing.T) {
	sock, fs := startFakeStub(t, func(p string, _ int) string {
		switch {
		case strings.HasPrefix(p, "qXfer:features:read:target.xml:"):
			return pkt("m<?xml version=\"1.0\"?>")
		case p == "p11":
			return pkt("46020000") // 0x246: IF, ZF, PF
		case strings.HasPrefix(p, "P11="):
			return pkt("OK")
		}
		return pkt("E01")
	})
	g := dialFake(t, sock)
	if err := clearIF(g); err != nil {
		t.Fatal(err)
	}
	if len(fs.got) != 3 || fs.got[1] != "p11" || fs.got[2] != "P11=46000000" {
		t.Errorf("packets %q, want the target description, p11, then P11=46000000 (0x046)", fs.got)
	}
}

// TestSchedDebugSummary reads a run-queue dump in the form Linux 6.1's
// kernel/sched/debug.c prints (a CPU's own fields at two spaces, its
// cfs_rq's further in, then its tasks).
func TestSchedDebugSummary(t *testing.T) {
	dump := `Sched Debug Version: v0.11, 6.1.0-57-cloud-amd64 #1
cpu#0, 2894.562 MHz
  .nr_running                    : 1
  .curr->pid                     : 110
cfs_rq[0]:/
  .nr_running                    : 1
rt_rq[0]:
  .rt_nr_running                 : 0
runnable tasks:
 S            task   PID         tree-key  switches  prio     wait-time             sum-exec        sum-sleep
-------------------------------------------------------------------------------------------------------------
 S        systemd     1      10.5       100   120         0.1         1.0         2.0 0 0 /
>R           init   110      20.1       900   120         0.2        30.0         5.0 0 0 /

cpu#3, 2894.562 MHz
  .nr_running                    : 1
  .curr->pid                     : 0
runnable tasks:
 S            task   PID         tree-key  switches  prio     wait-time             sum-exec        sum-sleep
-------------------------------------------------------------------------------------------------------------
 R qemu-system-x86   433    5000.2    120000   120     700000.0     9000.0        100.0 0 0 /
 I    kworker/3:1    52       1.0        10   120         0.1         0.1         0.1 0 0 /
`
	got := strings.Join(schedDebugSummary(dump), "\n")
	want := strings.Join([]string{
		"cpu#0 .nr_running 1", "cpu#0 .curr->pid 110", "cpu#0 task >R init 110 20.1",
		"cpu#3 .nr_running 1", "cpu#3 .curr->pid 0", "cpu#3 task R qemu-system-x86 433 5000.2",
	}, "\n")
	if got != want {
		t.Errorf("schedDebugSummary:\n%s\nwant:\n%s", got, want)
	}
}

func TestCPUTicks(t *testing.T) {
	in := "           CPU0       CPU1       CPU2       CPU3\n  0:         35          0          0          0   IO-APIC   2-edge      timer\nLOC:      81234      70321      69000      12345   Local timer interrupts\nSPU:          0          0          0          0   Spurious interrupts\n"
	if n, ok := cpuTicks(in, 3); !ok || n != 12345 {
		t.Errorf("cpuTicks(CPU 3) = %d, %v; want 12345", n, ok)
	}
	if _, ok := cpuTicks(in, 9); ok {
		t.Error("cpuTicks of a CPU not listed ok")
	}
}
