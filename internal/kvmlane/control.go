package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// The Linux control: the futex ping-pong of the wake stress, run by Linux
// (Debian's cloud kernel, /init = internal/kvmlane/pingpong) on the same
// QEMU, under TCG on the host and under KVM in the nested guest. It shows
// whether a stall is gotoro's or the machine's: see docs/kvm.md.

const controlRounds = 2000

// buildControlInitrd builds pingpong and packs it as an initramfs.
func buildControlInitrd(ctx context.Context, root, work string) (string, error) {
	bin := filepath.Join(work, "bin", "pingpong")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./internal/kvmlane/pingpong")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build pingpong: %w\n%s", err, out)
	}
	t := newTree()
	if err := t.addFile("/init", bin); err != nil {
		return "", err
	}
	t.addData("/proc/.keep", nil, 0o644)
	out := filepath.Join(work, "pingpong.cpio")
	f, err := os.Create(out)
	if err != nil {
		return "", err
	}
	err = t.writeCPIO(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return out, err
}

// controlArgs returns QEMU's arguments for the Linux control.
func controlArgs(accel, cpu, kernel, initrd, extra string) []string {
	return []string{
		"-M", "microvm,rtc=on", "-accel", accel, "-cpu", cpu, "-m", "256M", "-smp", "2",
		"-nodefaults", "-no-user-config", "-nographic", "-no-reboot", "-serial", "stdio",
		"-kernel", kernel, "-initrd", initrd,
		"-append", fmt.Sprintf("console=ttyS0 quiet panic=-1 pingpong.rounds=%d %s", controlRounds, extra),
	}
}

// runControl boots the control and returns its PINGPONG lines.
func runControl(ctx context.Context, qemuPath string, args []string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemuPath, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var lines []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if i := strings.Index(l, "PINGPONG "); i >= 0 {
			lines = append(lines, l[i+len("PINGPONG "):])
		}
	}
	if len(lines) == 0 || lines[len(lines)-1] != "DONE" {
		return lines, fmt.Errorf("the Linux control did not finish (%v): %s", err, lastLines(out.String(), 5))
	}
	return lines[:len(lines)-1], nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// hostTSCkHz returns the host's TSC rate in kHz for tsc_early_khz= (Linux
// under TCG cannot calibrate it reliably), 0 if unknown.
func hostTSCkHz() uint64 {
	return qemu.HostTSC() / 1000
}
