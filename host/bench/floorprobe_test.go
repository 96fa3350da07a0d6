package bench

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMachineStart(t *testing.T) {
	const hz = 2_000_000_000
	tsc := func(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }
	// 3 ms of TSC (the firmware) before a first byte 25 ms after launch:
	// the machine started 22 ms after launch.
	if d, err := machineStart(tsc(6_000_000), 25*time.Millisecond, hz); err != nil || d != 22*time.Millisecond {
		t.Errorf("machineStart = %v, %v; want 22ms", d, err)
	}
	for _, c := range []struct {
		name  string
		out   []byte
		first time.Duration
		hz    uint64
	}{
		{"short output", []byte{1, 2, 3}, 25 * time.Millisecond, hz},
		{"more output", append(tsc(6_000_000), '\n'), 25 * time.Millisecond, hz},
		{"no arrival", tsc(6_000_000), 0, hz},
		{"no rate", tsc(6_000_000), 25 * time.Millisecond, 0},
		{"TSC longer than the run", tsc(60_000_000), 25 * time.Millisecond, hz},
	} {
		if d, err := machineStart(c.out, c.first, c.hz); err == nil {
			t.Errorf("%s: machineStart = %v, want an error", c.name, d)
		}
	}
}

func TestMachineExit(t *testing.T) {
	if d, err := machineExit(25*time.Millisecond, 28*time.Millisecond); err != nil || d != 3*time.Millisecond {
		t.Errorf("machineExit = %v, %v; want 3ms", d, err)
	}
	for _, c := range []struct{ first, elapsed time.Duration }{{0, 28 * time.Millisecond}, {25 * time.Millisecond, 24 * time.Millisecond}} {
		if d, err := machineExit(c.first, c.elapsed); err == nil {
			t.Errorf("machineExit(%v, %v) = %v, want an error", c.first, c.elapsed, d)
		}
	}
}

// TestPrintFloorStart: the floor's machine start and exit are printed
// when the probe ran, and not otherwise; a failed probe is named.
func TestPrintFloorStart(t *testing.T) {
	ms, traced := msList, tracedFixture()
	for _, floorStart := range [][]time.Duration{nil, ms(21)} {
		var b strings.Builder
		r := &BootReport{Floor: ms(24), FirstOutput: ms(56), Total: ms(60), FloorCPU: ms(24), CPU: ms(61), Traces: traced, FloorStart: floorStart}
		if floorStart != nil {
			r.FloorExit = ms(3)
		}
		printBoot(BootConfig{Package: "./examples/hello", Accel: "tcg", Runs: 1, Out: &b}, r)
		gotStart, gotExit := false, false
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(l, "empty kernel: QEMU start → machine runs (its TSC)") && strings.Count(l, "21.00") == 3 {
				gotStart = true
			}
			if strings.HasPrefix(l, "empty kernel: exit (its output) → QEMU exited") && strings.Count(l, " 3.00") == 3 {
				gotExit = true
			}
		}
		if gotStart != (floorStart != nil) || gotExit != (floorStart != nil) {
			t.Errorf("floor start %v: start line printed %v, exit line %v; output:\n%s", floorStart, gotStart, gotExit, b.String())
		}
	}
	var b strings.Builder
	r := &BootReport{Floor: ms(24), FirstOutput: ms(56), Total: ms(60), FloorCPU: ms(24), CPU: ms(61), Traces: traced,
		FloorStart: ms(21), FloorStartErr: errors.New("run 2 of the floor probe: the floor probe printed 0 bytes")}
	printBoot(BootConfig{Package: "./examples/hello", Accel: "tcg", Runs: 1, Out: &b}, r)
	if !strings.Contains(b.String(), "QEMU start → machine runs not measured: run 2 of the floor probe") || strings.Contains(b.String(), "(its TSC)") {
		t.Errorf("failed probe: output:\n%s", b.String())
	}
}
