package qemu

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// kvmDevice is the KVM device node.
const kvmDevice = "/dev/kvm"

// Self-test parameters.
const (
	selfTestTimeout = 3 * time.Second
	selfTestMemory  = 16 * MiB
)

// Choice is an accelerator decision.
type Choice struct {
	// Accel is AccelKVM or AccelTCG.
	Accel Accel
	// Reason says why, in a few words.
	Reason string
	// Notable is set when AccelAuto fell back to TCG although /dev/kvm
	// exists: worth telling the user, since the guest runs much slower.
	Notable bool
}

// String describes c in the form of gotoro's note: "using TCG (reason)".
func (c Choice) String() string {
	return fmt.Sprintf("using %s (%s)", strings.ToUpper(string(c.Accel)), c.Reason)
}

// ChooseAccel resolves want (AccelAuto if empty) to AccelKVM or AccelTCG.
// AccelTCG is taken as is; AccelKVM needs a usable /dev/kvm. AccelAuto picks
// KVM only if /dev/kvm is usable and a self-test boot of a tiny PVH kernel
// with qemu (the QEMU binary) proves that guest ring-0 SSE runs: some hosts
// offer a /dev/kvm that emulates ring 0 and cannot run the Go runtime.
//
// The self-test's verdict is kept for the life of the process and, when
// QEMU reached it on its own, on disk (kvmcache.go) for as long as the
// kernel, the QEMU binary and /dev/kvm stay the same: on a host checked
// before, auto costs a few file reads. A fallback to TCG is Notable only
// when the self-test ran in this call, so that the reason is told once;
// the Reason of a remembered verdict says so.
//
// The error is non-nil only for an unusable explicit AccelKVM, an unknown
// accelerator, or when ctx ends during the self-test.
func ChooseAccel(ctx context.Context, qemu string, want Accel) (Choice, error) {
	switch want {
	case AccelTCG:
		return Choice{Accel: AccelTCG, Reason: "requested"}, nil
	case AccelKVM:
		if err := kvmUsable(); err != nil {
			return Choice{}, fmt.Errorf("cannot use KVM: %w", err)
		}
		return Choice{Accel: AccelKVM, Reason: "requested"}, nil
	case AccelAuto, "":
	default:
		_, err := ParseAccel(string(want))
		return Choice{}, err
	}
	if err := kvmUsable(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Choice{Accel: AccelTCG, Reason: "no " + kvmDevice}, nil
		}
		return Choice{Accel: AccelTCG, Reason: err.Error(), Notable: true}, nil
	}
	v, err := kvmSelfTest(ctx, qemu)
	if err != nil {
		return Choice{}, err
	}
	remembered := ""
	if v.cached {
		remembered = fmt.Sprintf("; verdict of %s, kept in %s", v.When.Local().Format("2006-01-02 15:04"), verdictCachePath())
	}
	if !v.OK {
		return Choice{Accel: AccelTCG, Reason: "KVM self-test failed: " + v.Why + remembered, Notable: !v.cached}, nil
	}
	return Choice{Accel: AccelKVM, Reason: "KVM self-test passed" + remembered}, nil
}

// kvmUsable opens /dev/kvm and checks its API version.
func kvmUsable() error {
	f, err := os.OpenFile(kvmDevice, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("%s not usable: %w", kvmDevice, err)
	}
	defer f.Close()
	const kvmGetAPIVersion = 0xAE00 // _IO(KVMIO, 0x00)
	v, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), kvmGetAPIVersion, 0)
	if errno != 0 {
		return fmt.Errorf("%s not usable: KVM_GET_API_VERSION: %w", kvmDevice, errno)
	}
	if v != 12 {
		return fmt.Errorf("%s not usable: KVM API version %d, want 12", kvmDevice, v)
	}
	return nil
}

// selfTestCache remembers self-test verdicts per QEMU binary for the life
// of the process.
var selfTestCache struct {
	sync.Mutex
	verdicts map[string]verdict
}

// kvmSelfTest returns the verdict of the SSE probe (see sseprobe.go) under
// KVM: remembered in this process, else from the verdict cache, else by
// booting the probe (and keeping a definitive verdict).
func kvmSelfTest(ctx context.Context, qemu string) (verdict, error) {
	selfTestCache.Lock()
	defer selfTestCache.Unlock()
	if v, found := selfTestCache.verdicts[qemu]; found {
		return v, nil
	}
	path := verdictCachePath()
	id, idErr := identify(qemu)
	if idErr != nil {
		path = "" // cannot tell this host apart: test every time
	}
	v, found := loadVerdict(path, id)
	if !found {
		var err error
		if v, err = runSelfTest(ctx, qemu); err != nil {
			return verdict{}, err
		}
		if v.definitive {
			storeVerdict(path, id, v) // best effort: a read-only home still works
		}
	}
	if selfTestCache.verdicts == nil {
		selfTestCache.verdicts = map[string]verdict{}
	}
	selfTestCache.verdicts[qemu] = v
	return v, nil
}

// probeGrace is how long the probe may run once QEMU answers on its
// monitor: on a working KVM it needs microseconds.
const probeGrace = time.Second

func runSelfTest(ctx context.Context, qemu string) (verdict, error) {
	v := verdict{When: time.Now()}
	dir, err := os.MkdirTemp("", "gotoro-kvm-probe-")
	if err != nil {
		v.Why = "cannot write the probe: " + err.Error()
		return v, nil
	}
	defer os.RemoveAll(dir)
	image := filepath.Join(dir, "probe.elf")
	if err := os.WriteFile(image, sseProbeImage(), 0o644); err != nil {
		v.Why = "cannot write the probe: " + err.Error()
		return v, nil
	}
	cfg := Config{Image: image, Memory: selfTestMemory, CPUs: 1, Monitor: filepath.Join(dir, "qmp.sock")}
	stderr := &tailBuffer{max: 4096}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hung := make(chan string, 1)
	go func() { hung <- watchProbe(pctx, cancel, cfg.Monitor) }()
	info, err := runProcess(pctx, qemu, append([]string{Binary}, args(cfg, AccelKVM)...), nil, stderr, selfTestTimeout, stopRequest{}, procHooks{})
	cancel()
	stuck := <-hung
	switch {
	case err != nil && ctx.Err() != nil:
		return verdict{}, err
	case err != nil && stuck != "":
		// QEMU ran the probe, which did not finish: KVM cannot run it.
		// (Had QEMU exited on its own meanwhile, err would be nil.)
		v.Why, v.definitive = stuck, true
		return v, nil
	case err != nil:
		v.Why = err.Error()
		return v, nil
	case info.timedOut:
		// QEMU never answered on its monitor: a busy host, maybe; try
		// again next time.
		v.Why = fmt.Sprintf("the probe did not finish within %v", selfTestTimeout)
		return v, nil
	case info.exited && info.code == probeExitStatus:
		v.OK, v.definitive = true, true
		return v, nil
	case info.exited && info.code == 0:
		v.Why, v.definitive = "ring-0 SSE faulted", true
		return v, nil
	}
	v.definitive = true
	v.Why = fmt.Sprintf("QEMU exit status %d", info.code)
	if !info.exited {
		v.Why = fmt.Sprintf("QEMU died (%v)", info.signal)
	}
	if first, _, _ := strings.Cut(stderr.lastLines(20), "\n"); first != "" {
		first = strings.TrimPrefix(first, Binary+": ")
		first = strings.TrimPrefix(first, "error: ")
		v.Why += ": " + truncate(first, 120)
	}
	return v, nil
}

// watchProbe waits until QEMU answers on its monitor, then gives the
// probe probeGrace to finish. If it has not, it says where the vCPU is
// and stops the run (cancel); it returns "" when the run ended first.
// So a KVM that cannot run the probe is told in about a second, and
// apart from a host too busy to start QEMU at all.
func watchProbe(ctx context.Context, cancel context.CancelFunc, monitor string) string {
	c, err := qmp.Dial(ctx, monitor)
	if err != nil {
		return ""
	}
	defer c.Close()
	select {
	case <-ctx.Done():
		return ""
	case <-time.After(probeGrace):
	}
	where := ""
	if regs, err := c.Registers(); err == nil && len(regs) > 0 {
		where = fmt.Sprintf(" (its vCPU at rip=%#x)", regs[0].RIP)
		if regs[0].Halted {
			where = fmt.Sprintf(" (its vCPU halted at rip=%#x)", regs[0].RIP)
		}
	}
	if ctx.Err() != nil {
		return "" // it finished meanwhile
	}
	cancel()
	return fmt.Sprintf("the probe did not finish within %v of QEMU's start%s", probeGrace, where)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
