package qemu

import (
	"slices"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	cfg, err := Config{Image: "/tmp/x.img", Cmdline: "arg=hello cwd=/"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args(cfg, AccelTCG), " ")
	want := "-M microvm,rtc=on,memory-backend=mem -accel tcg,thread=multi -cpu max -m 256M -smp 1 -nodefaults -no-user-config -nographic -no-reboot -object memory-backend-ram,id=mem,size=256M,share=on -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel /tmp/x.img -append arg=hello cwd=/ cpus=1"
	if got != want {
		t.Errorf("TCG args:\n got %s\nwant %s", got, want)
	}

	cfg.Memory, cfg.CPUs = 3*GiB/2, 2
	a := args(cfg, AccelKVM)
	if !slices.Contains(a, "kvm") || !slices.Contains(a, "host") || slices.Contains(a, "max") {
		t.Errorf("KVM args: %q", a)
	}
	// Under KVM guest RAM is QEMU's private anonymous memory (huge pages
	// for the guest's speed), under TCG shared anonymous memory (4 KiB
	// pages: a run faults in only what it touches).
	if got := strings.Join(a, " "); strings.Contains(got, "memory-backend") {
		t.Errorf("KVM args name a memory backend: %s", got)
	}
	if i := slices.Index(a, "-m"); a[i+1] != "1536M" {
		t.Errorf("-m %s, want 1536M", a[i+1])
	}
	if i := slices.Index(a, "-smp"); a[i+1] != "2" {
		t.Errorf("-smp %s, want 2", a[i+1])
	}
	// The kernel learns the vCPU count (-smp) from cpus=.
	if a[len(a)-2] != "-append" || a[len(a)-1] != cfg.Cmdline+" cpus=2" {
		t.Errorf("the command line must be one argument at the end, with cpus=2: %q", a)
	}

	cfg.Monitor = "/run/g.sock"
	if got := strings.Join(args(cfg, AccelTCG), " "); !strings.Contains(got, " -qmp unix:/run/g.sock,server=on,wait=off -kernel ") {
		t.Errorf("monitor args: %s", got)
	}
	cfg.Monitor = ""

	cfg.PauseOnReset, cfg.WatchMonitor = true, "/run/w.sock"
	got = strings.Join(args(cfg, AccelKVM), " ")
	if !strings.Contains(got, " -no-reboot -no-shutdown ") || !strings.Contains(got, " -qmp unix:/run/w.sock,server=on,wait=off -kernel ") {
		t.Errorf("pause-on-reset args: %s", got)
	}
	cfg.PauseOnReset, cfg.WatchMonitor = false, ""

	cfg.Debug = true
	cfg, _ = cfg.withDefaults()
	got = strings.Join(args(cfg, AccelTCG), " ")
	if !strings.Contains(got, " -s -S -d int,cpu_reset,guest_errors -D qemu-debug.log ") {
		t.Errorf("debug args: %s", got)
	}
}

func TestConfigDefaults(t *testing.T) {
	for _, c := range []Config{
		{},
		{Image: "x", Memory: MiB},
		{Image: "x", Memory: 256*MiB + 4*KiB},
		{Image: "x", CPUs: -1},
		{Image: "x", CPUs: 256},
		{Image: "x", Accel: "hvf"},
	} {
		if _, err := c.withDefaults(); err == nil {
			t.Errorf("%+v: want an error", c)
		}
	}
	c, err := Config{Image: "x"}.withDefaults()
	if err != nil || c.Memory != DefaultMemory || c.CPUs != 1 || c.Accel != AccelAuto || c.Stdout == nil || c.Stderr == nil {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}

func TestParseAccel(t *testing.T) {
	for _, s := range []string{"auto", "kvm", "tcg"} {
		if a, err := ParseAccel(s); err != nil || string(a) != s {
			t.Errorf("ParseAccel(%q) = %q, %v", s, a, err)
		}
	}
	if _, err := ParseAccel("KVM"); err == nil {
		t.Errorf("ParseAccel(KVM): want an error")
	}
}

func TestShellQuote(t *testing.T) {
	got := shellQuote([]string{"qemu", "-append", "arg=a%20b cwd=/", "", "it's"})
	want := `qemu -append 'arg=a%20b cwd=/' '' 'it'\''s'`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[string]string{"30s": "30s", "10m": "10m", "1h30m": "1h30m", "2h": "2h", "1.5s": "1.5s", "90s": "1m30s"} {
		if got := FormatDuration(mustDuration(t, d)); got != want {
			t.Errorf("FormatDuration(%s) = %s, want %s", d, got, want)
		}
	}
}

// TestTranslationLogArgs: a translation log is QEMU's -d in_asm under
// TCG, nothing under KVM (Run refuses it there), and not with Debug.
func TestTranslationLogArgs(t *testing.T) {
	cfg, err := Config{Image: "/tmp/x.img", TranslationLog: "/tmp/t.log"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(args(cfg, AccelTCG), " "); !strings.Contains(got, " -d in_asm -D /tmp/t.log ") {
		t.Errorf("TCG args lack the translation log: %s", got)
	}
	if got := strings.Join(args(cfg, AccelKVM), " "); strings.Contains(got, "in_asm") {
		t.Errorf("KVM args have a translation log: %s", got)
	}
	cfg.Debug = true
	if _, err := cfg.withDefaults(); err == nil || !strings.Contains(err.Error(), "debugging") {
		t.Errorf("Debug with a translation log: %v, want an error", err)
	}
}
