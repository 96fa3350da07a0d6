package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// exitTracer records the VM exits of the guests this process starts with
// the host kernel's KVM tracepoints, in a tracefs instance of its own (a
// private buffer: tracing others have set up is left alone). Needs Linux,
// root (or write access to tracefs) and KVM.
type exitTracer struct {
	dir string // the instance
}

// tracefsRoots are where tracefs is usually mounted.
var tracefsRoots = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// newExitTracer makes the instance and enables kvm_exit, kvm_pio and
// kvm_msr for this process's threads and everything they start.
func newExitTracer() (*exitTracer, error) {
	root := ""
	for _, r := range tracefsRoots {
		if _, err := os.Stat(filepath.Join(r, "instances")); err == nil {
			root = r
			break
		}
	}
	if root == "" {
		return nil, fmt.Errorf("counting VM exits: no tracefs at %s (mount it: mount -t tracefs nodev /sys/kernel/tracing)", strings.Join(tracefsRoots, " or "))
	}
	if _, err := os.Stat(filepath.Join(root, "events/kvm/kvm_exit")); err != nil {
		return nil, errors.New("counting VM exits: the kernel has no kvm tracepoints (is the kvm module loaded?)")
	}
	dir := filepath.Join(root, "instances", fmt.Sprintf("gotoro-bench-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("counting VM exits: making a tracefs instance (needs root): %w", err)
	}
	t := &exitTracer{dir: dir}
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.close()
		return nil, fmt.Errorf("counting VM exits: %w", err)
	}
	var pids []string
	for _, d := range tids {
		pids = append(pids, d.Name())
	}
	steps := []struct{ file, val string }{
		{"tracing_on", "0"},
		// About 40 bytes an event: room for 200,000 per CPU.
		{"buffer_size_kb", "8192"},
		// This process's threads, and (event-fork) whatever they start:
		// gotoro run, QEMU and its vCPU threads.
		{"options/event-fork", "1"},
		{"set_event_pid", strings.Join(pids, " ")},
		{"events/kvm/kvm_exit/enable", "1"},
		{"events/kvm/kvm_pio/enable", "1"},
		{"events/kvm/kvm_msr/enable", "1"},
	}
	for _, s := range steps {
		if err := os.WriteFile(filepath.Join(dir, s.file), []byte(s.val), 0); err != nil {
			t.close()
			return nil, fmt.Errorf("counting VM exits: %w", err)
		}
	}
	return t, nil
}

// start empties the buffer and starts recording.
func (t *exitTracer) start() error {
	if err := os.WriteFile(filepath.Join(t.dir, "trace"), nil, 0); err != nil {
		return fmt.Errorf("clearing the trace buffer: %w", err)
	}
	return os.WriteFile(filepath.Join(t.dir, "tracing_on"), []byte("1"), 0)
}

// stop stops recording and counts what was recorded since start.
func (t *exitTracer) stop() (Exits, error) {
	if err := os.WriteFile(filepath.Join(t.dir, "tracing_on"), []byte("0"), 0); err != nil {
		return Exits{}, err
	}
	f, err := os.Open(filepath.Join(t.dir, "trace"))
	if err != nil {
		return Exits{}, err
	}
	defer f.Close()
	e, err := parseExitTrace(f)
	if err != nil {
		return e, fmt.Errorf("reading the KVM trace: %w", err)
	}
	return e, nil
}

// close removes the instance (its events must be off first).
func (t *exitTracer) close() {
	os.WriteFile(filepath.Join(t.dir, "tracing_on"), []byte("0"), 0)
	for _, ev := range []string{"kvm_exit", "kvm_pio", "kvm_msr"} {
		os.WriteFile(filepath.Join(t.dir, "events/kvm", ev, "enable"), []byte("0"), 0)
	}
	os.Remove(t.dir)
}
