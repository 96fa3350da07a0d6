package bootcase

import (
	"strings"
	"time"
)

// The kernel's finer locks (docs/kernel.md, "Locks"): futex on its bucket
// locks, file reads and writes, pipes, sockets and page faults without the
// big kernel lock, each hammered across cores.

// lockStress boots prog on cpus cores and wants exit status 0, the
// program's ok line, a whole line matching each of the regular
// expressions lines, and no FAIL (else the console goes into the error).
func lockStress(prog string, cpus int, ok string, lines ...string) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: prog, CPUs: cpus, Timeout: 5 * time.Minute, Stall: time.Minute})
		WantExit(t, out, res, 0)
		Contains(t, out, ok)
		for _, l := range lines {
			Matches(t, out, `(?m)^`+l+`$`)
		}
		if strings.Contains(out, "FAIL") {
			t.Errorf("console:\n%s", out)
		}
	}
}

// futexStress boots the futex program on cpus cores: every operation's
// result (wait, wake, bitsets, requeue, wake-op; words on untouched and
// unmapped pages), a futex mutex taken by threads on every core, waits
// with short timeouts racing wakes, and the runtime's own locks under
// load. A lost wake-up hangs it (the stall check ends the run).
func futexStress(cpus int) func(t TB, e *Env) {
	return lockStress(progFutex, cpus, "futex ok", `timeout race: \d+ woken, \d+ timed out`)
}

// fileIOStress boots the fileio program on cpus cores: threads reading
// their own /tmp files and /dev/zero in parallel, descriptors closed and
// reused under readers on other cores, truncation under readers, a pipe
// whose writer closes mid-read, reads into and writes from untouched,
// file-mapped, global and unmapped memory, and writes from every core at
// once (write/pwrite64 and writev mixed): O_APPEND records to one file
// under a reader and a shared mapping (each record once and intact, the
// size their sum), blocks growing one file (its final size), rewrites
// under truncation (no foreign byte; whole at the end), and reads of the
// program's own sources from the packed tree (BuildOptions packs them),
// pread on every core and read(2) sharing one offset (each chunk once),
// and one offset moved by write, read, readv and lseek from every core
// (the sum of the moves at the end).
func fileIOStress(cpus int) func(t TB, e *Env) {
	return lockStress(progFileIO, cpus, "fileio ok", `close under reader: [1-9]\d* reads, \d+ EBADF`,
		`appends: \d+ records from \d+ threads, \d+ reads, \d+ views`, `blocks: 40 rounds of \d+ writers`,
		`packed reads: \d+ threads, [1-9]\d* chunks of one descriptor`,
		`seek under io: \d+ threads × 400 calls, offset \d+`)
}

// pipeStress boots the pipes program on cpus cores: pipe pairs with
// checked data between cores (blocking and through the netpoller),
// small writes from every core into one pipe that must not interleave, a
// close while the other end is blocked, EPIPE and SIGPIPE (handled,
// notified, ignored), epoll on pipes woken from another core (level,
// edge, output, hang-up) and blocked reads restarted through signals. A
// lost wake-up hangs it (the stall check ends the run).
func pipeStress(cpus int) func(t TB, e *Env) {
	return lockStress(progPipes, cpus, "pipes ok", `pairs blocking: \d+ pairs × 1024 KiB`, `epoll across cores: 10 rounds`)
}

// faultStress boots the faults program on cpus cores: heap growth and
// first touches of big fresh regions (zero page, then writes) on every
// core at once, while other threads map, protect, discard and unmap
// regions, read /tmp files and pipes into untouched buffers, and touch a
// region another thread unmaps (a handled SIGSEGV; the range mapped again
// reads as zeros); reads into untouched memory the program may not write
// are EFAULT. Every byte is checked.
func faultStress(cpus int) func(t TB, e *Env) {
	return lockStress(progFaults, cpus, "faults ok", `unmap race: 20 rounds, [1-9]\d* faults handled`)
}

// socketStress boots the sockets program on cpus cores, for unix and
// loopback TCP stream sockets alike: full-duplex connections with checked
// data whose readers and writers sit on different cores (read/write and
// send/recv), connections carrying both ways at once through the
// netpoller (a lost edge-triggered event hangs them), many clients
// connected to one listener through the netpoller, shutdown and close while the other end is blocked in read or
// on a full socket, EPIPE and SIGPIPE (handled, notified, MSG_NOSIGNAL),
// epoll on sockets woken from another core (level, edge, output,
// hang-up), blocked reads restarted through signals, send and recv with
// MSG_DONTWAIT on blocking sockets across cores; over unix
// sockets, SCM_RIGHTS descriptors passed across cores while data flows
// (each arrives with its record's bytes, a plain read across a record
// ends there and closes it, none is lost or leaked). A lost wake-up
// hangs it (the stall check ends the run).
func socketStress(cpus int) func(t TB, e *Env) {
	var lines []string
	for _, kind := range []string{"unix", "tcp"} {
		lines = append(lines,
			kind+` duplex blocking: \d+ connections × 2 × 512 KiB`,
			kind+` duplex netpoller: \d+ connections × 2 × 512 KiB`,
			kind+` fan-in netpoller: \d+ writers × 128 KiB`,
			kind+` epoll across cores: 10 rounds`,
			kind+` broken pipe: EPIPE handled, notified, MSG_NOSIGNAL`,
			kind+` dontwait: 5 rounds`)
	}
	lines = append(lines, `unix rights across cores: \d+ connections × 192 KiB, [1-9]\d* descriptors`)
	return lockStress(progSockets, cpus, "sockets ok", lines...)
}

// eventfdStress boots the eventfd program on cpus cores: single calls'
// answers (EAGAIN, semaphore mode, the cap at 0xfffffffffffffffe,
// EINVAL, epoll readiness), writers on every core adding to one counter
// while a reader on another core waits in epoll_wait (level and edge) or
// in read, plain and semaphore, and writers held at the cap released by a
// reader on another core. A unit lost or read twice fails it, a lost
// wake-up hangs it (the stall check ends the run).
func eventfdStress(cpus int) func(t TB, e *Env) {
	return lockStress(progEventfd, cpus, "eventfd ok",
		`answers: EAGAIN, semaphore, cap, EINVAL, readiness`,
		`epoll (plain|semaphore) (level|edge): \d+ cores × 2000`,
		`blocking semaphore: \d+ cores × 2000, \d+ readers`,
		`writers at the cap: \d+ cores × 300`)
}
