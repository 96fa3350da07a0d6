package bench

import (
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// TestExitProgram: the peer's floor is a valid static x86-64 executable
// with one loadable segment holding its entry, and (on a linux/amd64
// host) it runs and exits with exitProgramStatus.
func TestExitProgram(t *testing.T) {
	p := filepath.Join(t.TempDir(), "exit")
	if err := os.WriteFile(p, exitProgram(), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(p)
	if err != nil {
		t.Fatalf("not an ELF file: %v", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC || len(f.Progs) != 1 {
		t.Fatalf("class %v machine %v type %v, %d program headers", f.Class, f.Machine, f.Type, len(f.Progs))
	}
	ph := f.Progs[0]
	if ph.Type != elf.PT_LOAD || f.Entry < ph.Vaddr || f.Entry >= ph.Vaddr+ph.Filesz || ph.Flags&elf.PF_X == 0 {
		t.Errorf("entry %#x outside the executable segment %+v", f.Entry, ph.ProgHeader)
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("runs only on linux/amd64")
	}
	err = exec.Command(p).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitProgramStatus {
		t.Errorf("running it: %v, want exit status %d", err, exitProgramStatus)
	}
}

// TestRunUserStatus: a run of the peer that does not end with the
// expected status (qemu-x86_64 failing to load the program, or the
// program failing) is an error quoting its output, never a time.
func TestRunUserStatus(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "prog.sh")
	if err := os.WriteFile(script, []byte("echo broken >&2\nexit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// /bin/sh stands in for qemu-x86_64: it is given "-cpu max" first,
	// which sh takes as options, so run it through a wrapper.
	wrapper := filepath.Join(dir, "qemu")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nshift 2\nexec /bin/sh \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := runUser(ctx, time.Minute, wrapper, 0, script); err == nil || !strings.Contains(err.Error(), "exit status 3, want 0") || !strings.Contains(err.Error(), "broken") {
		t.Errorf("status 3: err %v", err)
	}
	if d, err := runUser(ctx, time.Minute, wrapper, 3, script); err != nil || d <= 0 {
		t.Errorf("the expected status: %v, %v", d, err)
	}
	if _, err := runUser(ctx, time.Minute, filepath.Join(dir, "none"), 0, script); err == nil {
		t.Errorf("no error for a missing qemu-x86_64")
	}
	sleep := filepath.Join(dir, "sleep.sh")
	os.WriteFile(sleep, []byte("sleep 10\n"), 0o644)
	if _, err := runUser(ctx, 100*time.Millisecond, wrapper, 0, sleep); err == nil || !strings.Contains(err.Error(), "did not exit within") {
		t.Errorf("a run past its timeout: %v", err)
	}
}

// TestSetupUserPeerSkips: each reason not to run the peer skips it with
// a message, without an error, so the rest of the benchmark runs.
func TestSetupUserPeerSkips(t *testing.T) {
	for _, c := range []struct {
		name    string
		cfg     BootConfig
		noQEMU  bool
		skipped string
	}{
		{"turned off", BootConfig{Accel: qemu.AccelTCG, Package: "./x", NoUserPeer: true}, false, "-peer=false"},
		{"kvm", BootConfig{Accel: qemu.AccelKVM, Package: "./x"}, false, "-accel kvm"},
		{"image", BootConfig{Accel: qemu.AccelTCG, Image: "x.img", Package: "x.img"}, false, "-image gives no package"},
		{"no qemu-x86_64", BootConfig{Accel: qemu.AccelTCG, Package: "./x"}, true, "qemu-x86_64 not found on PATH: install it with `sudo apt-get install qemu-user`"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.noQEMU {
				t.Setenv("PATH", t.TempDir())
			}
			var rep UserPeerReport
			p, err := setupUserPeer(context.Background(), c.cfg, "none.img", t.TempDir(), &rep)
			if err != nil || p != nil || !strings.Contains(rep.Skipped, c.skipped) {
				t.Errorf("peer %v, err %v, skipped %q; want %q", p, err, rep.Skipped, c.skipped)
			}
			var b strings.Builder
			printUserPeer(&b, "hello", &rep, 0, 0, func(string, []time.Duration) { t.Error("a time line for a skipped peer") })
			if !strings.HasPrefix(b.String(), "# user-mode peer (qemu-x86_64) skipped: ") {
				t.Errorf("report: %q", b.String())
			}
		})
	}
}

// TestPrintUserPeer: the report's peer lines carry the shares over the
// exit program and gotoro's own share over the Go program's.
func TestPrintUserPeer(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	for _, c := range []struct {
		name string
		peer UserPeerReport
		want []string
	}{
		{"measured", UserPeerReport{GoVersion: "go1.26.8", ImageGoVersion: "go1.26.8", Exit: ms(9, 10, 30), Prog: ms(50, 45, 90), ExitCPU: ms(8, 8, 9), ProgCPU: ms(40, 48, 41)},
			[]string{"(CGO_ENABLED=0, go1.26.8) under GOMAXPROCS=1 qemu-x86_64", "share under user-mode TCG (median start → exit − exit program's): 40.0 ms (CPU time 33.0 ms)",
				"gotoro's own share / the Go program's share under user-mode TCG: 1.05 (CPU time 1.00)", "hello under qemu-x86_64: start → exit"}},
		{"other toolchain", UserPeerReport{GoVersion: "go1.26.8", ImageGoVersion: "go1.26.7", Exit: ms(9), Prog: ms(50), ExitCPU: ms(8), ProgCPU: ms(41)},
			[]string{"go1.26.8, the image's go1.26.7"}},
		{"no share", UserPeerReport{Exit: ms(50), Prog: ms(40), ExitCPU: ms(8), ProgCPU: ms(41)},
			[]string{"share under user-mode TCG: - (the peer's share is not positive)"}},
		{"not run", UserPeerReport{}, nil},
	} {
		var b strings.Builder
		lines := 0
		printUserPeer(&b, "hello", &c.peer, 42*time.Millisecond, 33*time.Millisecond, func(label string, ds []time.Duration) {
			lines++
			b.WriteString(label + "\n")
		})
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: no %q in:\n%s", c.name, w, b.String())
			}
		}
		if c.want == nil && b.Len() != 0 {
			t.Errorf("%s: printed %q", c.name, b.String())
		}
		if c.want != nil && lines != 4 {
			t.Errorf("%s: %d time lines, want 4", c.name, lines)
		}
	}
}

// TestUserPeerBlocks: a qemu-x86_64 translation log splits at the Go
// runtime's runtime.main and main.main, counts the blocks translated
// again (the flush at the first thread), and prints beside gotoro's.
func TestUserPeerBlocks(t *testing.T) {
	log := `IN: _rt0_amd64_linux
0x004805a0:  e9 1b cf ff ff           jmp      0x47d4c0

IN: runtime.rt0_go.abi0
0x0047d4e0:  48 89 f8                 movq     %rdi, %rax
0x0047d4e3:  c3                       retq

IN: runtime.main
0x00435000:  c3                       retq

IN: runtime.rt0_go.abi0
0x0047d4e0:  48 89 f8                 movq     %rdi, %rax

IN: main.main
0x00490000:  c3                       retq
`
	phases, err := countBlocks(strings.NewReader(log), userPeerPhases, userPeerInitsPhase)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ blocks, insns, again int }{{2, 3, 0}, {2, 2, 1}, {1, 1, 0}}
	for i, w := range want {
		if p := phases[i]; p.Blocks != w.blocks || p.Insns != w.insns || p.Again != w.again {
			t.Errorf("phase %q: %d blocks %d insns %d again, want %+v", p.Name, p.Blocks, p.Insns, p.Again, w)
		}
	}
	gotoro := []BlockPhase{{Name: "firmware"}, {Name: "kernel boot", Blocks: 500}, {Name: "Go runtime: rt0 → runtime.main", Blocks: 3500, Kernel: 700}, {Name: "Go runtime: runtime.main → main.main", Blocks: 1500, Kernel: 200}, {Name: "program: main.main → exit", Blocks: 300, Kernel: 50}}
	var b strings.Builder
	printUserPeerBlocks(&b, "hello", phases, gotoro)
	for _, w := range []string{"all (gotoro: rt0 → exit)                                        5                 1     5300", "the peer's distinct blocks: 4 ", "without the kernel's: 4350"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("no %q in:\n%s", w, b.String())
		}
	}
}
