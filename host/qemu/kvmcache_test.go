package qemu

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qmp/qmptest"
)

func TestVerdictCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "kvm-selftest.json")
	id := hostIdentity{Kernel: "6.1.0 #1", BootID: "b1", QEMU: "/usr/bin/q ino=1", KVM: "rdev=0xae8", Probe: "p"}
	if _, ok := loadVerdict(path, id); ok {
		t.Fatal("verdict found in a missing file")
	}
	when := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	if err := storeVerdict(path, id, verdict{Why: "ring-0 SSE faulted", When: when}); err != nil {
		t.Fatal(err)
	}
	v, ok := loadVerdict(path, id)
	if !ok || v.OK || v.Why != "ring-0 SSE faulted" || !v.When.Equal(when) || !v.cached {
		t.Fatalf("loaded %+v, %v", v, ok)
	}
	// Any part of the identity changing means another host: re-test.
	for _, change := range []func(*hostIdentity){
		func(h *hostIdentity) { h.Kernel = "6.1.0 #2" },
		func(h *hostIdentity) { h.BootID = "b2" },
		func(h *hostIdentity) { h.QEMU = "/usr/bin/q ino=2" },
		func(h *hostIdentity) { h.KVM = "rdev=0xae9" },
		func(h *hostIdentity) { h.Probe = "q" },
	} {
		other := id
		change(&other)
		if _, ok := loadVerdict(path, other); ok {
			t.Errorf("verdict of %+v found for %+v", id, other)
		}
	}
	// A second host's verdict joins the first; the newest replaces an
	// older one of the same host; the file stays bounded.
	id2 := id
	id2.BootID = "b2"
	storeVerdict(path, id2, verdict{OK: true, When: when})
	storeVerdict(path, id, verdict{OK: true, When: when})
	if v, ok := loadVerdict(path, id); !ok || !v.OK {
		t.Errorf("replaced verdict: %+v, %v", v, ok)
	}
	if v, ok := loadVerdict(path, id2); !ok || !v.OK {
		t.Errorf("second host: %+v, %v", v, ok)
	}
	for i := 0; i < 2*maxCachedVerdicts; i++ {
		other := id
		other.BootID = string(rune('a' + i))
		storeVerdict(path, other, verdict{When: when})
	}
	if f, err := readCache(path); err != nil || len(f.Entries) != maxCachedVerdicts {
		t.Errorf("cache holds %d entries (%v), want %d", len(f.Entries), err, maxCachedVerdicts)
	}
	// A broken file is no verdict (a memo of its former version does not
	// answer for it), and is replaced on the next store.
	os.WriteFile(path, []byte("{not json"), 0o644)
	if _, ok := loadVerdict(path, id); ok {
		t.Error("verdict from a broken file")
	}
	if err := storeVerdict(path, id, verdict{When: when}); err != nil {
		t.Fatal(err)
	}
	if _, ok := loadVerdict(path, id); !ok {
		t.Error("no verdict after replacing a broken file")
	}
	if _, ok := loadVerdict("", id); ok || storeVerdict("", id, verdict{}) != nil {
		t.Error("an empty path must disable the cache")
	}
}

func TestIdentify(t *testing.T) {
	if _, err := os.Stat(kvmDevice); err != nil {
		t.Skipf("no %s", kvmDevice)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a, err := identify(exe)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := identify(exe)
	if a.key() != b.key() || a.Kernel == "" || a.BootID == "" || a.KVM == "" || a.Probe == "" {
		t.Errorf("identity %+v / %+v", a, b)
	}
	other := filepath.Join(t.TempDir(), "q")
	os.WriteFile(other, []byte("x"), 0o755)
	if c, err := identify(other); err != nil || c.key() == a.key() {
		t.Errorf("another QEMU binary has the same identity: %+v %v", c, err)
	}
}

// TestChooseAccelRemembers runs the self-test through the cache: the
// second choice (in a "new process") comes from the file, says so and is
// not notable again.
func TestChooseAccelRemembers(t *testing.T) {
	needQEMU(t)
	if kvmUsable() != nil {
		t.Skip("/dev/kvm is not usable: no self-test runs")
	}
	path, _ := Find("")
	t.Setenv(verdictCacheEnv, filepath.Join(t.TempDir(), "cache.json"))
	forget := func() {
		selfTestCache.Lock()
		selfTestCache.verdicts = nil
		selfTestCache.Unlock()
	}
	forget()
	t.Cleanup(forget)
	first, err := ChooseAccel(context.Background(), path, AccelAuto)
	if err != nil {
		t.Fatal(err)
	}
	forget()
	second, err := ChooseAccel(context.Background(), path, AccelAuto)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first: %s\nsecond: %s", first, second)
	if second.Accel != first.Accel || second.Notable {
		t.Errorf("second choice %+v after %+v", second, first)
	}
	if _, err := os.Stat(os.Getenv(verdictCacheEnv)); err == nil && !strings.Contains(second.Reason, "kept in") {
		t.Errorf("a remembered verdict does not say so: %q", second.Reason)
	}
}

// BenchmarkChooseAccelAuto measures what -accel auto costs a run: with the
// verdict on disk (a host checked before) and with the self-test booted
// every time (the cache off). Each iteration forgets the in-process cache,
// as a new gotoro process would.
func BenchmarkChooseAccelAuto(b *testing.B) {
	path, err := Find("")
	if err != nil {
		b.Skip(err)
	}
	if kvmUsable() != nil {
		b.Skip("/dev/kvm is not usable: auto picks TCG without a self-test")
	}
	forget := func() {
		selfTestCache.Lock()
		selfTestCache.verdicts = nil
		selfTestCache.Unlock()
	}
	defer forget()
	for _, mode := range []string{"cached", "selftest"} {
		b.Run(mode, func(b *testing.B) {
			cache := filepath.Join(b.TempDir(), "cache.json")
			if mode == "selftest" {
				cache = "off"
			}
			b.Setenv(verdictCacheEnv, cache)
			forget()
			if _, err := ChooseAccel(context.Background(), path, AccelAuto); err != nil { // fills the cache
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				forget()
				if _, err := ChooseAccel(context.Background(), path, AccelAuto); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fakeMonitor serves QMP on a Unix socket as a QEMU whose one vCPU sits in
// a halt at 0x1000ee: it greets, and answers every command with an empty
// return, "info registers" with a register dump.
func fakeMonitor(t *testing.T) string {
	t.Helper()
	return qmptest.Serve(t, func(req qmptest.Request) string {
		if strings.Contains(req.HMP(), "info registers") {
			return qmptest.Return("RAX=0000000000000000 RBX=0000000000000000\nRSI=0 RDI=0 RBP=0000000000000000 RSP=0000000000000000\nRIP=00000000001000ee RFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=1\n")
		}
		return qmptest.Return(map[string]any{})
	})
}

// TestWatchProbe: a probe that has not finished a second after QEMU
// answers is reported stuck, with its vCPU's place, and the run is
// stopped; a run that ends first (or a QEMU that never answers) is not
// judged.
func TestWatchProbe(t *testing.T) {
	sock := fakeMonitor(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	got := watchProbe(ctx, cancel, sock)
	if !strings.Contains(got, "did not finish within 1s") || !strings.Contains(got, "halted at rip=0x1000ee") {
		t.Errorf("stuck probe: %q", got)
	}
	if ctx.Err() == nil {
		t.Error("the run was not stopped")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel2() }() // the run ends
	if got := watchProbe(ctx2, cancel2, fakeMonitor(t)); got != "" {
		t.Errorf("a run that ended was judged: %q", got)
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel3()
	if got := watchProbe(ctx3, cancel3, filepath.Join(t.TempDir(), "none.sock")); got != "" {
		t.Errorf("a QEMU that never answered was judged: %q", got)
	}
}
