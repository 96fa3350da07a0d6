package bench

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// peerGOMAXPROCS is the peer's GOMAXPROCS: the one vCPU of the guest
// gotoro run boots by default (bench boot does not pass -cpus).
const peerGOMAXPROCS = "1"

// UserPeerQEMU is the user-mode QEMU the boot benchmark's peer runs under
// (Debian's qemu-user; scripts/setup.sh installs it).
const UserPeerQEMU = "qemu-x86_64"

// UserPeerReport is the boot benchmark's peer under user-mode TCG: the
// same Go program built for linux/amd64 as an ordinary static executable,
// run by qemu-x86_64 (the same translator as gotoro's TCG, without a
// machine, firmware or kernel: the guest's system calls are the host's),
// against a three-instruction exit program as its floor. What the Go
// program costs there over the exit program is the Go runtime's own start
// and the program's, translated: the part of gotoro's own share that no
// kernel can remove.
type UserPeerReport struct {
	// Skipped says why the peer did not run ("" when it did).
	Skipped string
	// QEMU is the qemu-x86_64 that ran it; GoVersion the toolchain that
	// built the peer, ImageGoVersion the one that built gotoro's image
	// ("" when unknown).
	QEMU, GoVersion, ImageGoVersion string
	// Exit and Prog are start → exit of each run of the exit program and
	// of the Go program; ExitCPU and ProgCPU their CPU time (user +
	// system).
	Exit, Prog       []time.Duration
	ExitCPU, ProgCPU []time.Duration
	// Blocks are the Go program's translated blocks per phase in one more
	// run (BootConfig.Blocks; nil without).
	Blocks []BlockPhase
}

// Share is the Go program's median start → exit under user-mode TCG over
// the exit program's.
func (p *UserPeerReport) Share() time.Duration {
	_, prog, _ := Stats(p.Prog)
	_, exit, _ := Stats(p.Exit)
	return prog - exit
}

// CPUShare is Share in CPU time.
func (p *UserPeerReport) CPUShare() time.Duration {
	_, prog, _ := Stats(p.ProgCPU)
	_, exit, _ := Stats(p.ExitCPU)
	return prog - exit
}

// userPeer is what the peer's runs need.
type userPeer struct {
	qemu string // qemu-x86_64
	exit string // the exit program (exitProgram)
	prog string // the Go program, built for linux/amd64
}

// setupUserPeer finds qemu-x86_64 and builds the peer's two programs in
// dir. A peer that cannot run is not an error: it returns nil and says
// why in rep.Skipped, and the rest of the benchmark runs.
func setupUserPeer(ctx context.Context, cfg BootConfig, img, dir string, rep *UserPeerReport) (*userPeer, error) {
	rep.ImageGoVersion = goVersion(img)
	switch {
	case cfg.NoUserPeer:
		rep.Skipped = "turned off (-peer=false)"
		return nil, nil
	case cfg.Accel != qemu.AccelTCG:
		rep.Skipped = fmt.Sprintf("it is a peer under TCG, this run is -accel %s", cfg.Accel)
		return nil, nil
	case cfg.Image != "":
		rep.Skipped = "-image gives no package to build for linux/amd64 (give the package instead)"
		return nil, nil
	}
	q, err := exec.LookPath(UserPeerQEMU)
	if err != nil {
		rep.Skipped = UserPeerQEMU + " not found on PATH: install it with `sudo apt-get install qemu-user` (or run scripts/setup.sh)"
		return nil, nil
	}
	p := &userPeer{qemu: q, exit: filepath.Join(dir, "exit.linux"), prog: filepath.Join(dir, filepath.Base(cfg.Package)+".linux")}
	if err := os.WriteFile(p.exit, exitProgram(), 0o755); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", p.prog, cfg.Package)
	cmd.Dir = cfg.Dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rep.Skipped = fmt.Sprintf("building %s for linux/amd64 failed: %v: %s", cfg.Package, err, strings.TrimSpace(string(out)))
		return nil, nil
	}
	rep.QEMU, rep.GoVersion = q, goVersion(p.prog)
	return p, nil
}

// goVersion is the Go version that built the executable at path, "" when
// it cannot be read.
func goVersion(path string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return ""
	}
	return bi.GoVersion
}

// run times one run of each of the peer's programs, exit program first,
// appending to rep; before is called before each (the benchmark's pause).
func (p *userPeer) run(ctx context.Context, timeout time.Duration, before func() error, rep *UserPeerReport) error {
	for _, r := range []struct {
		exe       string
		status    int
		wall, cpu *[]time.Duration
	}{
		{p.exit, exitProgramStatus, &rep.Exit, &rep.ExitCPU},
		{p.prog, 0, &rep.Prog, &rep.ProgCPU},
	} {
		if err := before(); err != nil {
			return err
		}
		cpu0 := childrenCPU()
		d, err := runUser(ctx, timeout, p.qemu, r.status, r.exe)
		if err != nil {
			return err
		}
		*r.cpu = append(*r.cpu, childrenCPU()-cpu0)
		*r.wall = append(*r.wall, d)
	}
	return nil
}

// countBlocks runs the Go program once more with QEMU's translation log
// in dir and counts its translated blocks per phase.
func (p *userPeer) countBlocks(ctx context.Context, timeout time.Duration, dir string) ([]BlockPhase, error) {
	log := filepath.Join(dir, "peer-in_asm.log")
	defer os.Remove(log)
	if _, err := runUser(ctx, timeout, p.qemu, 0, "-d", "in_asm", "-D", log, p.prog); err != nil {
		return nil, err
	}
	f, err := os.Open(log)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return countBlocks(f, userPeerPhases, userPeerInitsPhase)
}

// runUser runs qemu-x86_64 (path q) with the CPU model gotoro's TCG
// machine has and args (options, then the program), and returns its start
// → exit. Any status but want is an error that quotes the run's output: a
// qemu-x86_64 that failed to start or to load the program must not pass
// for a run of it.
func runUser(ctx context.Context, timeout time.Duration, q string, want int, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	exe := strings.Join(args, " ")
	cmd := exec.CommandContext(ctx, q, append([]string{"-cpu", "max"}, args...)...)
	// The guest gotoro run boots has one vCPU, so its Go runtime runs one
	// P: the peer's runtime the same, whatever the host's CPUs.
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+peerGOMAXPROCS)
	out := &firstByte{}
	cmd.Stdout, cmd.Stderr = out, out
	// A killed run's output pipe may be held open by a child it left.
	cmd.WaitDelay = time.Second
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	status := 0
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return 0, fmt.Errorf("%s %s: did not exit within %v", q, exe, timeout)
	case errors.As(err, &ee):
		status = ee.ExitCode()
	case err != nil:
		return 0, fmt.Errorf("%s %s: %w", q, exe, err)
	}
	if status != want {
		return 0, fmt.Errorf("%s %s: exit status %d, want %d; its output:\n%s", q, exe, status, want, out.tail())
	}
	return d, nil
}

// printUserPeer prints the peer's lines of the report: its times, the Go
// program's share over the exit program, and gotoro's own share (wall
// and CPU, ownWall and ownCPU) over it.
func printUserPeer(w io.Writer, name string, p *UserPeerReport, ownWall, ownCPU time.Duration, line func(string, []time.Duration)) {
	if p.Skipped != "" {
		fmt.Fprintf(w, "# user-mode peer (qemu-x86_64) skipped: %s\n", p.Skipped)
		return
	}
	if len(p.Prog) == 0 {
		return
	}
	version := p.GoVersion
	if p.ImageGoVersion != "" && p.ImageGoVersion != p.GoVersion {
		version += ", the image's " + p.ImageGoVersion
	}
	fmt.Fprintf(w, "# user-mode peer: %s as a static linux/amd64 executable (CGO_ENABLED=0, %s) under GOMAXPROCS=%s %s -cpu max, against a 3-instruction exit program, alternating with the runs above\n", name, version, peerGOMAXPROCS, UserPeerQEMU)
	line("user-mode TCG: exit program, start → exit (peer floor)", p.Exit)
	line(name+" under "+UserPeerQEMU+": start → exit", p.Prog)
	line("user-mode TCG: exit program, CPU time", p.ExitCPU)
	line(name+" under "+UserPeerQEMU+": CPU time", p.ProgCPU)
	share, cpuShare := p.Share(), p.CPUShare()
	fmt.Fprintf(w, "the Go program's share under user-mode TCG (median start → exit − exit program's): %.1f ms (CPU time %.1f ms)\n", float64(share)/1e6, float64(cpuShare)/1e6)
	fmt.Fprintf(w, "gotoro's own share / the Go program's share under user-mode TCG: %s (CPU time %s)\n", shareRatio(ownWall, share), shareRatio(ownCPU, cpuShare))
}

// shareRatio formats a/b, or says why there is none.
func shareRatio(a, b time.Duration) string {
	if b <= 0 {
		return "- (the peer's share is not positive)"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// printUserPeerBlocks prints the peer's translated blocks per phase
// beside gotoro's from rt0 on (gotoro's phases after the kernel's boot).
func printUserPeerBlocks(w io.Writer, name string, peer []BlockPhase, gotoro []BlockPhase) {
	fmt.Fprintf(w, "\n# translated blocks of one run of %s under %s (the user-mode peer; again: translated before in the run)\n", name, UserPeerQEMU)
	fmt.Fprintf(w, "%-56s %8s %8s %8s %8s\n", "# phase", "blocks", "insns", "again", "gotoro")
	total, again := 0, 0
	for _, p := range peer {
		g := "-"
		for _, q := range gotoro {
			if q.Name == p.Name {
				g = fmt.Sprint(q.Blocks)
			}
		}
		fmt.Fprintf(w, "%-56s %8d %8d %8d %8s\n", p.Name, p.Blocks, p.Insns, p.Again, g)
		total += p.Blocks
		again += p.Again
	}
	gTotal, gKernel := 0, 0
	for _, q := range gotoro[min(2, len(gotoro)):] {
		gTotal += q.Blocks
		gKernel += q.Kernel
	}
	fmt.Fprintf(w, "%-56s %8d %8s %8d %8d\n", "all (gotoro: rt0 → exit)", total, "", again, gTotal)
	fmt.Fprintf(w, "the peer's distinct blocks: %d (%s drops every translation at the program's first thread, to translate again for parallel CPUs); gotoro's from rt0 on without the kernel's: %d\n", total-again, UserPeerQEMU, gTotal-gKernel)
}
