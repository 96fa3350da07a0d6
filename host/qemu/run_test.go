package qemu

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// These tests boot tiny hand-assembled PVH programs (see pvhImage) under
// TCG: they test the QEMU driver, not the gotoro kernel.

// prog assembles 32-bit test programs.
type prog []byte

// print writes s to the serial port, one out instruction per byte.
func (p prog) print(s string) prog {
	for i := 0; i < len(s); i++ {
		p = append(p, 0xB0, s[i])             // mov al, s[i]
		p = append(p, 0x66, 0xBA, 0xF8, 0x03) // mov dx, 0x3f8
		p = append(p, 0xEE)                   // out dx, al
	}
	return p
}

// exit writes v to the debug-exit port and halts.
func (p prog) exit(v uint32) prog {
	p = binary.LittleEndian.AppendUint32(append(p, 0xB8), v) // mov eax, v
	p = append(p, 0x66, 0xBA, 0xF4, 0x00, 0xEF)              // mov dx, 0xf4; out dx, eax
	return append(p, 0xF4, 0xEB, 0xFD)                       // 1: hlt; jmp 1b
}

// hang spins forever.
func (p prog) hang() prog { return append(p, 0xEB, 0xFE) }

// tripleFault loads an empty IDT and executes ud2.
func (p prog) tripleFault() prog {
	p = binary.LittleEndian.AppendUint32(append(p, 0x0F, 0x01, 0x1D), probeBase+probeOutOff) // lidt [zeros]
	return append(p, 0x0F, 0x0B)                                                             // ud2
}

// needQEMU skips the test without QEMU, or fails it if GOTORO_REQUIRE_VM
// is set (as in CI).
func needQEMU(t *testing.T) {
	t.Helper()
	if _, err := Find(""); err != nil {
		if v := os.Getenv("GOTORO_REQUIRE_VM"); v != "" && v != "0" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func writeProg(t *testing.T, p prog) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prog.elf")
	if err := os.WriteFile(path, pvhImage(p), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runProg(t *testing.T, ctx context.Context, p prog, timeout time.Duration) (string, string, Result, error) {
	t.Helper()
	var out, errOut syncBuffer
	res, err := Run(ctx, Config{
		Image: writeProg(t, p), Memory: 16 * MiB, Accel: AccelTCG,
		Timeout: timeout, Stdout: &out, Stderr: &errOut,
	})
	return string(out.Bytes()), string(errOut.Bytes()), res, err
}

func TestRunExitStatus(t *testing.T) {
	needQEMU(t)
	for _, c := range []struct {
		name    string
		p       prog
		out     string
		outcome Outcome
		status  int
	}{
		{"exit 0", prog{}.print("hi\n").exit(bootabi.ExitValue(0)), "hi\n", Exited, 0},
		{"exit 3", prog{}.exit(bootabi.ExitValue(3)), "", Exited, 3},
		{"exit 122", prog{}.exit(bootabi.ExitValue(122)), "", Exited, 122},
		{"exit 0 with marker", prog{}.print("hi\n" + bootabi.ExitMarker + "0\n").exit(bootabi.ExitValue(0)), "hi\n", Exited, 0},
		{"high status", prog{}.print("bye\n" + bootabi.ExitMarker + "200\n").exit(bootabi.ExitHigh), "bye\n", Exited, 200},
		{"fault", prog{}.print(bootabi.FaultMarker + "\n").exit(bootabi.ExitFault), bootabi.FaultMarker + "\n", Faulted, 0},
		{"sse probe", probeCode(), "", Exited, probeMagic - bootabi.ExitStatusBase},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, _, res, err := runProg(t, context.Background(), c.p, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if out != c.out || res.Outcome != c.outcome || res.Status != c.status {
				t.Errorf("got %q, %v, %d; want %q, %v, %d", out, res.Outcome, res.Status, c.out, c.outcome, c.status)
			}
			if res.Accel != AccelTCG || res.Elapsed <= 0 {
				t.Errorf("result %+v", res)
			}
			if (c.out != "") != (res.FirstOutput > 0) || res.FirstOutput > res.Elapsed {
				t.Errorf("FirstOutput %v, Elapsed %v", res.FirstOutput, res.Elapsed)
			}
		})
	}
}

func TestRunReset(t *testing.T) {
	needQEMU(t)
	_, _, _, err := runProg(t, context.Background(), prog{}.tripleFault(), time.Minute)
	if !errors.Is(err, ErrQEMUFailed) {
		t.Errorf("triple fault: got %v, want ErrQEMUFailed", err)
	}
}

// TestRunQEMUFailed checks that QEMU's own failures are errors, never a
// guest exit status: a raw 0 on the debug-exit port (QEMU then exits 1, as
// it does when it fails) and QEMU refusing to start.
func TestRunQEMUFailed(t *testing.T) {
	needQEMU(t)
	_, _, res, err := runProg(t, context.Background(), prog{}.exit(0), time.Minute)
	if !errors.Is(err, ErrQEMUFailed) {
		t.Errorf("raw 0 on the debug-exit port: got %+v, %v; want ErrQEMUFailed", res, err)
	}
	var out, errOut syncBuffer
	res, err = Run(context.Background(), Config{
		Image: writeProg(t, prog{}.exit(bootabi.ExitValue(0))), Memory: 1 << 50, Accel: AccelTCG,
		Timeout: time.Minute, Stdout: &out, Stderr: &errOut,
	})
	if !errors.Is(err, ErrQEMUFailed) || !strings.Contains(err.Error(), "QEMU exited with status 1") {
		t.Fatalf("-m 1P: got %+v, %v; want ErrQEMUFailed with QEMU's status", res, err)
	}
	if !strings.Contains(err.Error(), "qemu-system-x86_64:") {
		t.Errorf("-m 1P: the error does not give QEMU's reason: %v", err)
	}
}

func TestRunTimeout(t *testing.T) {
	needQEMU(t)
	out, errOut, res, err := runProg(t, context.Background(), prog{}.print("spin").hang(), 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != TimedOut || out != "spin" {
		t.Errorf("got %q, %+v", out, res)
	}
	if !strings.Contains(errOut, "gotoro: guest did not exit within 500ms; killed it") {
		t.Errorf("stderr: %q", errOut)
	}
}

func TestRunCanceled(t *testing.T) {
	needQEMU(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, _, _, err := runProg(t, ctx, prog{}.hang(), time.Minute)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancel took %v", d)
	}
}

func TestRunErrors(t *testing.T) {
	_, err := Run(context.Background(), Config{Image: "x", QEMU: "/nonexistent/qemu-system-x86_64"})
	if !errors.Is(err, ErrNoQEMU) {
		t.Errorf("missing QEMU: %v", err)
	}
	needQEMU(t)
	text := filepath.Join(t.TempDir(), "text")
	os.WriteFile(text, []byte("not an image"), 0o644)
	if _, err := Run(context.Background(), Config{Image: text}); !errors.Is(err, ErrNotImage) {
		t.Errorf("not an image: %v", err)
	}
}

func TestChooseAccelAuto(t *testing.T) {
	needQEMU(t)
	t.Setenv(verdictCacheEnv, "off")
	path, _ := Find("")
	c, err := ChooseAccel(context.Background(), path, AccelAuto)
	if err != nil || (c.Accel != AccelKVM && c.Accel != AccelTCG) || c.Reason == "" {
		t.Fatalf("ChooseAccel(auto) = %+v, %v", c, err)
	}
	t.Logf("auto: %s", c)
	if c.Accel == AccelKVM && c.Notable {
		t.Errorf("choosing KVM is not notable")
	}
	if c, _ := ChooseAccel(context.Background(), path, AccelTCG); c.Accel != AccelTCG || c.String() != "using TCG (requested)" {
		t.Errorf("tcg: got %+v", c)
	}
}

func TestBoot(t *testing.T) {
	needQEMU(t)
	var echo bytes.Buffer
	out, res, err := Boot(context.Background(), Config{
		Image: writeProg(t, prog{}.print("boot\n").exit(bootabi.ExitValue(7))), Accel: AccelTCG, Stdout: &echo,
	}, Guest{Args: []string{"x"}})
	if err != nil || string(out) != "boot\n" || echo.String() != "boot\n" || res.Status != 7 {
		t.Errorf("Boot = %q (echo %q), %+v, %v", out, echo.String(), res, err)
	}
}

// TestFloorProbeImage boots the floor probe: it exits with status 0 after
// printing its 8-byte TSC, which counts from the machine's start: more
// than 0 (the firmware ran before it) and well within the run.
func TestFloorProbeImage(t *testing.T) {
	needQEMU(t)
	img := filepath.Join(t.TempDir(), "probe.img")
	if err := os.WriteFile(img, FloorProbeImage(), 0o644); err != nil {
		t.Fatal(err)
	}
	hz := HostTSC()
	if hz == 0 {
		t.Skip("no TSC rate on this host")
	}
	out, res, err := Boot(t.Context(), Config{Image: img, Memory: 16 * MiB, Accel: AccelTCG, Timeout: time.Minute}, Guest{Args: []string{"probe"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Exited || res.Status != 0 {
		t.Fatalf("outcome %v status %d, want exit 0", res.Outcome, res.Status)
	}
	if len(out) != 8 {
		t.Fatalf("console %q: want the 8 bytes of the TSC", out)
	}
	tsc := binary.LittleEndian.Uint64(out)
	ran := time.Duration(float64(tsc) / float64(hz) * 1e9)
	// The firmware is a small part of a run that is mostly QEMU's start
	// and exit (a TSC whose bytes came out wrong is almost never that).
	if tsc == 0 || ran <= 0 || ran >= res.Elapsed/2 {
		t.Errorf("TSC %d (%v after the machine's start), want within the first half of the run's %v", tsc, ran, res.Elapsed)
	}
	if res.FirstOutput <= ran {
		t.Errorf("first output %v after launch, before the machine could have started (TSC says %v)", res.FirstOutput, ran)
	}
}
