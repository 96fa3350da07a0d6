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

// shutdownTrace sets up a private tracefs instance that records KVM's
// exits for a guest's shutdown (kvm:kvm_exit with that reason: the guest's
// RIP as the exit left it, before KVM re-initializes the vCPU) and returns
// bootcase.Env.ResetInfo reading it. It returns nil if tracing is not
// available (the case logs then lack that part, and no reset is taken
// for L0's: resetsig.go).
func shutdownTrace() func(start bool) bootcase.HostReset {
	dir := "/sys/kernel/tracing/instances/lane-reset"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Printf("%s no trace of shutdown exits: %v\n", markInfo, err)
		return nil
	}
	ev := filepath.Join(dir, "events/kvm/kvm_exit")
	for _, w := range []struct{ file, val string }{
		{filepath.Join(ev, "filter"), fmt.Sprintf("exit_reason == %d", svmExitShutdown)},
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

// shutdownReport turns the trace instance's text into the host's part of
// a reset report: its lines for the log and the shutdown exits parsed.
func shutdownReport(trace string) bootcase.HostReset {
	h := bootcase.HostReset{Traced: true}
	var lines []string
	for _, l := range strings.Split(trace, "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
		if x, ok := parseShutdownExit(l); ok {
			h.Exits = append(h.Exits, x)
		}
	}
	if len(lines) == 0 {
		h.Text = "KVM traced no shutdown exit\n"
		return h
	}
	h.Text = "KVM's shutdown exits (kvm:kvm_exit):\n  " + strings.Join(lines, "\n  ") + "\n"
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
