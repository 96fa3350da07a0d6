package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// floorTimes are one floor probe run's phases.
type floorTimes struct {
	start time.Duration // QEMU start → machine runs
	exit  time.Duration // the probe's exit → QEMU exited
}

// probeFloor boots the floor probe (qemu.FloorProbeImage) as the floor is
// booted and returns its QEMU start → machine runs, placed with the TSC
// at rate hz that the probe printed, and its exit → QEMU exited.
func probeFloor(ctx context.Context, cfg BootConfig, image string, hz uint64) (floorTimes, error) {
	out, res, err := qemu.Boot(ctx, qemu.Config{Image: image, Accel: cfg.Accel, Timeout: min(time.Minute, cfg.RunTimeout), Stderr: io.Discard}, qemu.Guest{Args: []string{"empty"}})
	if err != nil {
		return floorTimes{}, err
	}
	if res.Outcome != qemu.Exited || res.Status != 0 {
		return floorTimes{}, fmt.Errorf("the floor probe ended with %v status %d", res.Outcome, res.Status)
	}
	start, err := machineStart(out, res.FirstOutput, hz)
	if err != nil {
		return floorTimes{}, err
	}
	exit, err := machineExit(res.FirstOutput, res.Elapsed)
	return floorTimes{start: start, exit: exit}, err
}

// machineExit returns the probe's exit → QEMU exited: from its output's
// arrival (first, after the launch), which the probe writes a few
// instructions before its exit, to QEMU's exit (elapsed after the launch).
func machineExit(first, elapsed time.Duration) (time.Duration, error) {
	if first <= 0 || elapsed < first {
		return 0, fmt.Errorf("the floor probe's output came %v after QEMU's launch and QEMU exited %v after it", first, elapsed)
	}
	return elapsed - first, nil
}

// machineStart returns when the probe's machine started, after QEMU's
// launch: the arrival of its first console byte (first, after the launch)
// less the time its TSC, the 8 bytes of out, had counted since the start.
func machineStart(out []byte, first time.Duration, hz uint64) (time.Duration, error) {
	if len(out) != 8 {
		return 0, fmt.Errorf("the floor probe printed %d bytes (%.20q), want the 8 of its TSC", len(out), out)
	}
	if first <= 0 || hz == 0 {
		return 0, fmt.Errorf("the floor probe's output has no arrival time (%v) or no TSC rate (%d Hz)", first, hz)
	}
	ran := time.Duration(float64(binary.LittleEndian.Uint64(out)) / float64(hz) * 1e9)
	if ran >= first {
		return 0, fmt.Errorf("the floor probe's TSC says %v since the machine's start, but its output came %v after QEMU's launch", ran, first)
	}
	return first - ran, nil
}
