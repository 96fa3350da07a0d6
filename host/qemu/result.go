package qemu

import (
	"errors"
	"fmt"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// Outcome is how a guest run ended.
type Outcome int

// Outcomes.
const (
	// Exited: the guest exited; Result.Status is its exit status.
	Exited Outcome = iota
	// Faulted: the kernel stopped on a fault it could not hand to the Go
	// runtime, after printing a report on the console.
	Faulted
	// TimedOut: the guest ran past Config.Timeout and was killed.
	TimedOut
)

func (o Outcome) String() string {
	switch o {
	case Exited:
		return "exited"
	case Faulted:
		return "faulted"
	case TimedOut:
		return "timed out"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Result describes a finished guest run.
type Result struct {
	Outcome Outcome
	// Status is the guest's exit status when Outcome is Exited.
	Status int
	// StatusLine says that the guest printed its exit status on the
	// console (bootabi.ExitMarker), which the kernel does only for a
	// status the debug-exit port cannot carry (above
	// bootabi.ExitDirectMax).
	StatusLine bool
	// Accel is the accelerator the guest ran on.
	Accel Accel
	// FirstOutput is the time from launching QEMU to the first console
	// byte; 0 if the guest printed nothing.
	FirstOutput time.Duration
	// Elapsed is the time from launching QEMU to its exit.
	Elapsed time.Duration
	// CPUTime is the host CPU time (user and system) QEMU and its helper
	// processes used.
	CPUTime time.Duration
	// Boot is the boot's timeline when Config.BootTrace was set and the
	// guest exited.
	Boot *BootTrace
}

// ErrQEMUFailed is wrapped by errors about QEMU exiting without the guest
// writing to the debug-exit device: QEMU itself failed, or the guest reset
// the machine (which -no-reboot turns into an exit), e.g. on a triple fault.
var ErrQEMUFailed = errors.New("QEMU failed or the guest reset the machine")

// decodeExit turns how QEMU ended into an outcome. marker is the status
// from the guest's last exit-status marker line, if it printed one.
//
// The guest never writes a value that makes QEMU exit with 0 or 1 (see
// bootabi.ExitValue), so those, like every even status, are QEMU's own.
func decodeExit(info exitInfo, marker int, haveMarker bool) (Outcome, int, error) {
	if !info.exited {
		return 0, 0, fmt.Errorf("%w: QEMU died of %v", ErrQEMUFailed, info.signal)
	}
	code := info.code
	if code&1 == 0 || code == 1 {
		return 0, 0, fmt.Errorf("%w: QEMU exited with status %d before the guest reported an exit status", ErrQEMUFailed, code)
	}
	switch v := code >> 1; {
	case v >= bootabi.ExitStatusBase && v <= bootabi.ExitDirectMax+bootabi.ExitStatusBase:
		status := v - bootabi.ExitStatusBase
		if haveMarker && marker != status {
			return 0, 0, fmt.Errorf("the guest reported exit status %d on the debug-exit port but %d on the console", status, marker)
		}
		return Exited, status, nil
	case v == bootabi.ExitFault:
		return Faulted, 0, nil
	case v == bootabi.ExitHigh:
		if !haveMarker {
			return 0, 0, fmt.Errorf("the guest reported an exit status above %d but printed no exit-status line", bootabi.ExitDirectMax)
		}
		return Exited, marker, nil
	default:
		return 0, 0, fmt.Errorf("the guest wrote an unknown value (%d) to the debug-exit port", v)
	}
}
