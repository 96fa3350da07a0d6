package bootcase

import (
	"strings"
	"time"
)

// The kernel's finer locks (docs/kernel.md, "Locks"): futex on its bucket
// locks, and file reads and writes without the big kernel lock, each
// hammered across cores.

// futexStress boots the futex program on cpus cores: every operation's
// result (wait, wake, bitsets, requeue, wake-op; words on untouched and
// unmapped pages), a futex mutex taken by threads on every core, waits
// with short timeouts racing wakes, and the runtime's own locks under
// load. A lost wake-up hangs it (the stall check ends the run).
func futexStress(cpus int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progFutex, CPUs: cpus, Timeout: 5 * time.Minute, Stall: time.Minute})
		WantExit(t, out, res, 0)
		Contains(t, out, "futex ok")
		Matches(t, out, `(?m)^timeout race: \d+ woken, \d+ timed out$`)
		if strings.Contains(out, "FAIL") {
			t.Errorf("console:\n%s", out)
		}
	}
}

// fileIOStress boots the fileio program on cpus cores: threads reading
// their own /tmp files and /dev/zero in parallel, descriptors closed and
// reused under readers on other cores, truncation under readers, a pipe
// whose writer closes mid-read, and reads into untouched, global and
// unmapped memory.
func fileIOStress(cpus int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progFileIO, CPUs: cpus, Timeout: 5 * time.Minute, Stall: time.Minute})
		WantExit(t, out, res, 0)
		Contains(t, out, "fileio ok")
		Matches(t, out, `(?m)^close under reader: [1-9]\d* reads, \d+ EBADF$`)
		if strings.Contains(out, "FAIL") {
			t.Errorf("console:\n%s", out)
		}
	}
}

// pipeStress boots the pipes program on cpus cores: pipe pairs with
// checked data between cores (blocking and through the netpoller),
// small writes from every core into one pipe that must not interleave, a
// close while the other end is blocked, EPIPE and SIGPIPE (handled,
// notified, ignored), epoll on pipes woken from another core (level,
// edge, output, hang-up) and blocked reads restarted through signals. A
// lost wake-up hangs it (the stall check ends the run).
func pipeStress(cpus int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progPipes, CPUs: cpus, Timeout: 5 * time.Minute, Stall: time.Minute})
		WantExit(t, out, res, 0)
		Contains(t, out, "pipes ok")
		Matches(t, out, `(?m)^pairs blocking: \d+ pairs × 1024 KiB$`)
		Matches(t, out, `(?m)^epoll across cores: 10 rounds$`)
		if strings.Contains(out, "FAIL") {
			t.Errorf("console:\n%s", out)
		}
	}
}

// faultStress boots the faults program on cpus cores: heap growth and
// first touches of big fresh regions (zero page, then writes) on every
// core at once, while other threads map, protect, discard and unmap
// regions, read /tmp files and pipes into untouched buffers, and touch a
// region another thread unmaps (a handled SIGSEGV; the range mapped again
// reads as zeros). Every byte is checked.
func faultStress(cpus int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progFaults, CPUs: cpus, Timeout: 5 * time.Minute, Stall: time.Minute})
		WantExit(t, out, res, 0)
		Contains(t, out, "faults ok")
		Matches(t, out, `(?m)^unmap race: 20 rounds, [1-9]\d* faults handled$`)
		if strings.Contains(out, "FAIL") {
			t.Errorf("console:\n%s", out)
		}
	}
}

// socketStress boots the sockets program on cpus cores, for unix and
// loopback TCP stream sockets alike: full-duplex connections with checked
// data whose readers and writers sit on different cores (read/write and
// send/recv), many clients connected to one listener through the
// netpoller, shutdown and close while the other end is blocked in read or
// on a full socket, EPIPE and SIGPIPE (handled, notified, MSG_NOSIGNAL),
// epoll on sockets woken from another core (level, edge, output,
// hang-up) and blocked reads restarted through signals. A lost wake-up
// hangs it (the stall check ends the run).
func socketStress(cpus int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progSockets, CPUs: cpus, Timeout: 5 * time.Minute, Stall: time.Minute})
		WantExit(t, out, res, 0)
		Contains(t, out, "sockets ok")
		for _, kind := range []string{"unix", "tcp"} {
			Matches(t, out, `(?m)^`+kind+` duplex blocking: \d+ connections × 2 × 512 KiB$`)
			Matches(t, out, `(?m)^`+kind+` fan-in netpoller: \d+ writers × 128 KiB$`)
			Matches(t, out, `(?m)^`+kind+` epoll across cores: 10 rounds$`)
			Contains(t, out, kind+" broken pipe: EPIPE handled, notified, MSG_NOSIGNAL")
		}
		if strings.Contains(out, "FAIL") {
			t.Errorf("console:\n%s", out)
		}
	}
}
