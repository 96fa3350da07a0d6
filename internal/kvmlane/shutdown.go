package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotoro/gotoro/internal/bootcase"
)

// svmExitShutdown is the SVM exit code of a shutdown (a triple fault) of
// the guest.
const svmExitShutdown = 0x7f

// exitsBefore is how many of a vCPU's exits before its shutdown the reset
// report shows: whether the faulting RIP had just exited to L1 (a port
// or MSR write, a nested page fault), which L0's signature 2 is said to
// follow (docs/kvm.md) but the classifier does not check yet.
const exitsBefore = 6

// resetTraceKB is the per-CPU size of the trace instance's ring buffer,
// which keeps the latest of every guest's exits (a few thousand).
const resetTraceKB = 256

// shutdownTrace sets up a private tracefs instance that records KVM's
// exits (kvm:kvm_exit: a shutdown's is the guest's RIP as the exit left
// it, before KVM re-initializes the vCPU; the others, in a ring buffer,
// show what came before it) and returns bootcase.Env.ResetInfo reading
// it. Unless all is set only shutdown exits are recorded (a filter):
// whether tracing every exit changes how often L0's resets come is not
// known (docs/kvm.md). It returns nil if tracing is not
// available (the case logs then lack that part, and no reset is taken
// for L0's: resetsig.go).
func shutdownTrace(all bool) func(start bool) bootcase.HostReset {
	dir := "/sys/kernel/tracing/instances/lane-reset"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Printf("%s no trace of shutdown exits: %v\n", markInfo, err)
		return nil
	}
	ev := filepath.Join(dir, "events/kvm/kvm_exit")
	filter := fmt.Sprintf("exit_reason == %d", svmExitShutdown)
	if all {
		filter = "0" // clears the filter
	}
	for _, w := range []struct{ file, val string }{
		{filepath.Join(dir, "buffer_size_kb"), fmt.Sprint(resetTraceKB)},
		{filepath.Join(ev, "filter"), filter},
		{filepath.Join(ev, "enable"), "1"},
		{filepath.Join(dir, "tracing_on"), "1"},
	} {
		if err := os.WriteFile(w.file, []byte(w.val), 0); err != nil {
			fmt.Printf("%s no trace of shutdown exits: %v\n", markInfo, err)
			return nil
		}
	}
	trace := filepath.Join(dir, "trace")
	return func(start bool) bootcase.HostReset {
		if start {
			os.WriteFile(trace, nil, 0) // opening it for writing clears it
			return bootcase.HostReset{}
		}
		b, err := os.ReadFile(trace)
		if err != nil {
			return bootcase.HostReset{Text: fmt.Sprintf("KVM's shutdown exits: %v\n", err)}
		}
		return shutdownReport(string(b))
	}
}

// shutdownReport turns the trace instance's text (every kvm:kvm_exit of
// the boot the ring buffer kept) into the host's part of a reset report:
// the shutdown exits parsed, their lines for the log, and before each
// the last exitsBefore exits of the same vCPU.
func shutdownReport(trace string) bootcase.HostReset {
	h := bootcase.HostReset{Traced: true}
	var b strings.Builder
	recent := map[uint64][]string{} // by vCPU, the latest last
	for _, l := range strings.Split(trace, "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if x, ok := parseShutdownExit(l); ok {
			h.Exits = append(h.Exits, x)
			if prev := recent[uint64(x.VCPU)]; len(prev) > 0 {
				fmt.Fprintf(&b, "  vCPU %d's last exits before it:\n    %s\n", x.VCPU, strings.Join(prev, "\n    "))
			}
			b.WriteString("  " + strings.TrimSpace(l) + "\n")
			continue
		}
		ev, ok := parseTraceLine(l)
		if !ok || ev.event != "kvm_exit" {
			continue
		}
		if v, ok := traceField(ev.msg, "vcpu"); ok {
			r := append(recent[v], strings.TrimSpace(l))
			recent[v] = r[max(0, len(r)-exitsBefore):]
		}
	}
	if len(h.Exits) == 0 {
		h.Text = "KVM traced no shutdown exit\n"
		return h
	}
	h.Text = "KVM's shutdown exits (kvm:kvm_exit):\n" + b.String()
	return h
}

// parseShutdownExit reads one kvm:kvm_exit line of a shutdown ("kvm_exit:
// vcpu 1 reason shutdown rip 0x22d414 info1 … intr_info 0x80000b0e
// error_code 0x00000010"); false for any other line.
func parseShutdownExit(line string) (bootcase.ShutdownExit, bool) {
	ev, ok := parseTraceLine(line)
	if !ok || ev.event != "kvm_exit" {
		return bootcase.ShutdownExit{}, false
	}
	if r := traceWord(ev.msg, "reason"); r != "shutdown" && r != fmt.Sprintf("%#x", svmExitShutdown) {
		return bootcase.ShutdownExit{}, false
	}
	vcpu, ok1 := traceField(ev.msg, "vcpu")
	rip, ok2 := traceField(ev.msg, "rip")
	info, ok3 := traceField(ev.msg, "intr_info")
	code, ok4 := traceField(ev.msg, "error_code")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return bootcase.ShutdownExit{}, false
	}
	return bootcase.ShutdownExit{VCPU: int(vcpu), RIP: rip, IntrInfo: info, ErrorCode: code}, true
}

// traceWord returns the word after key in msg, or "".
func traceWord(msg, key string) string {
	i := strings.Index(" "+msg, " "+key+" ")
	if i < 0 {
		return ""
	}
	f := strings.Fields(msg[i+len(key):])
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
