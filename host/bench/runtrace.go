package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// RunTrace is what `gotoro run -boottrace FILE` writes to FILE: when the
// gotoro process began its own work, and the boot's timeline. Times are
// wall-clock times, comparable between processes on one host.
type RunTrace struct {
	// Started is when gotoro's main function started.
	Started time.Time `json:"started"`
	// Finished is when gotoro run had done its work after QEMU's exit,
	// just before it wrote this file: writing it is a cost of -boottrace
	// alone. Zero in a trace from a gotoro that did not record it.
	Finished time.Time `json:"finished,omitzero"`
	// Boot is the guest's timeline; nil if the guest did not exit.
	Boot *qemu.BootTrace `json:"boot"`
}

// WriteRunTrace writes t to path as JSON.
func WriteRunTrace(path string, t RunTrace) error {
	b, err := json.MarshalIndent(t, "", "\t")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the boot trace: %w", err)
	}
	return nil
}

// ReadRunTrace reads a file written by WriteRunTrace.
func ReadRunTrace(path string) (RunTrace, error) {
	var t RunTrace
	b, err := os.ReadFile(path)
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("reading the boot trace %s: %w", path, err)
	}
	return t, nil
}
