package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// laneConfig is what the host tells the L1 runner, in /lane/config.json.
type laneConfig struct {
	// Cases are the names of the cases to run, in order.
	Cases []string
	// Count runs every case this many times.
	Count int
	// Skip is how many case runs, in the order Cases × Count gives, an
	// earlier boot of L1 finished before L1 reset itself (l1reboot.go):
	// the runner goes on from the next one.
	Skip int
	// SkipRuns is how many times the case run after the skipped ones ran
	// in earlier boots of L1 (the one L1's reset or lockup interrupted,
	// and its retries): they count in its bound (artefactRuns).
	SkipRuns int
	// BenchRuns is the same for the boot benchmark (BootBench).
	BenchRuns int
	// Reruns is how many reruns earlier boots of L1 used of the lane
	// run's (runReruns).
	Reruns int
	// KVMAMD are kvm_amd's module parameters ("nested=1").
	KVMAMD string
	// Slow scales the cases' time limits.
	Slow float64
	// GuestCmdline is added to every guest's kernel command line.
	GuestCmdline string
	// LinuxControl runs the Linux control (pingpong) before the cases.
	LinuxControl bool
	// BootBench runs gotoro bench boot -accel kvm -exits with this many
	// runs on benchProg's image after the cases (0: not).
	BootBench int
	// NoCatchReset lets QEMU exit when a guest resets the machine instead
	// of keeping it stopped for ResetState (bootcase.Env.CatchReset).
	NoCatchReset bool
	// Repro runs the stale-translation reproducer this long before the
	// cases (0: not; repro.go).
	Repro time.Duration
	// ResidentVM keeps one KVM VM without vCPUs open in L1 for the whole
	// run (repro.go).
	ResidentVM bool
	// TraceExits records every KVM exit in the reset trace instance, not
	// only shutdowns, so a reset's report shows the vCPU's last exits
	// before it (shutdown.go).
	TraceExits bool
	// ProvokeLostWakeup keeps the runner's threads off L1's last CPU
	// from the first case on, which the host then stops
	// (-provoke-lost-wakeup, provoke.go).
	ProvokeLostWakeup bool
	// Verbose prints the guests' consoles as they run.
	Verbose bool
	// Shell starts a shell on the console after the cases (debugging).
	Shell bool
}

// benchProg is the program the boot benchmark times (gotoro bench boot's
// default).
const benchProg = "examples/hello"

// Paths inside the L1 initramfs.
const (
	l1Config  = "/lane/config.json"
	l1Images  = "/lane/images"
	l1Gotoro  = "/bin/gotoro"
	l1Modules = "/lib/modules/lane"
	// The Linux control: Debian's kernel and an initramfs whose /init is
	// internal/kvmlane/pingpong.
	l1LinuxKernel = "/lane/linux/vmlinuz"
	l1LinuxInitrd = "/lane/linux/initrd"
)

// Markers on L1's console, read by the host.
const (
	markUp     = "LANE-L1-UP"
	markDone   = "LANE-DONE"
	markPass   = "--- PASS: "
	markFail   = "--- FAIL: "
	markSkip   = "--- SKIP: "
	markRetry  = "--- RETRY: "
	markRun    = "=== RUN   "
	markInfo   = "LANE-INFO "
	markResult = "LANE-RESULT "
	markAlive  = "LANE-ALIVE"  // the runner's heartbeat (silence.go)
	markText   = "LANE-KTEXT " // L1's kernel text, START END in hex (stale.go)
	// markWedged asks the host to end this boot of L1 and boot it again,
	// running the case again: L1 lost a wake-up (lostwake.go).
	markWedged = "LANE-L1-WEDGED "
)

func writeConfig(path string, c laneConfig) error {
	b, err := json.MarshalIndent(c, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func readConfig(path string) (laneConfig, error) {
	var c laneConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
