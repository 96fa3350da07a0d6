package kernel

import (
	"strings"
	"testing"
)

// TestParseParams checks what the one pass over the command line notes for
// the later boot steps: the devices and shares it names, and the arg= and
// env= tokens' counts, decoded sizes and the default variables they set.
func TestParseParams(t *testing.T) {
	for _, c := range []struct {
		name, cmdline      string
		virtio, poll, fs   bool
		argc, envc         int
		argBytes, envBytes int
		hostSets           [len(defaultEnv) + 1]bool
		hostDefaults       [2]int // initArgs.hostDefaults, hostDefaultBytes
		cwd                string
		cpus               uint64
		extra, vconsole    bool // bootParams.extra, virtioConsole
	}{
		{name: "empty"},
		{name: "hello", cmdline: "arg=hello cwd=/ tsc_hz=2596120000 epoch_ns=1 cpus=1",
			argc: 1, argBytes: 6, cpus: 1}, // cwd=/ is where the boot starts: nothing to do
		{name: "cwd elsewhere", cmdline: "cwd=/d", cwd: "/d", extra: true},
		{name: "escapes and defaults",
			cmdline: "arg=a%20b  arg= env=HOME=%2Fh env=GOMEMLIMIT=off env=HOMEX=1 env=TERM=x%zz cwd=/d%20ir",
			argc:    2, argBytes: 4 + 1, envc: 4, envBytes: 8 + 15 + 8 + 10,
			hostSets: [len(defaultEnv) + 1]bool{0: true, 2: true, 3: true}, hostDefaults: [2]int{2, len(envHome) + len(envTerm) + 2},
			cwd: "/d%20ir", extra: true},
		{name: "a default set twice", cmdline: "env=PATH=/a env=PATH=/b",
			envc: 2, envBytes: 16, hostSets: [len(defaultEnv) + 1]bool{1: true}, hostDefaults: [2]int{1, len(envPath) + 1}},
		{name: "devices from the VMM",
			cmdline: "virtio_mmio.device=512@0xfeb00000:12 arg=x virtio_poll=1 fs=share:/mnt",
			virtio:  true, poll: true, fs: true, argc: 1, argBytes: 2, extra: true},
		{name: "poll without devices", cmdline: "virtio_poll=1", poll: true},
		{name: "a key only a prefix of one", cmdline: "fsx=1 virtio_mmio=1 args=1 envx=A=1"},
		{name: "virtio console", cmdline: "console=virtio", vconsole: true},
		{name: "serial console", cmdline: "console=serial"},
		{name: "ktrace", cmdline: "ktrace=1", extra: true},
		{name: "boot trace", cmdline: "boottrace=1", extra: true},
		{name: "snapshot", cmdline: "snapshot=1", extra: true},
		{name: "xsave", cmdline: "xsave=avx", extra: true},
		{name: "rw", cmdline: "rw=1", extra: true},
		{name: "ktest", cmdline: "ktest=panic", extra: true},
		{name: "only virtio_poll", cmdline: "virtio_poll=0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p bootParams
			parseParams(&p, c.cmdline)
			if p.virtio != c.virtio || p.virtioPoll != c.poll || p.fs != c.fs {
				t.Errorf("virtio, virtio_poll, fs = %v %v %v, want %v %v %v", p.virtio, p.virtioPoll, p.fs, c.virtio, c.poll, c.fs)
			}
			a := p.args
			if a.argc != c.argc || a.envc != c.envc || a.argBytes != c.argBytes || a.envBytes != c.envBytes {
				t.Errorf("argc %d envc %d argBytes %d envBytes %d, want %d %d %d %d",
					a.argc, a.envc, a.argBytes, a.envBytes, c.argc, c.envc, c.argBytes, c.envBytes)
			}
			if a.hostSets != c.hostSets {
				t.Errorf("hostSets %v, want %v", a.hostSets, c.hostSets)
			}
			if a.hostDefaults != c.hostDefaults[0] || a.hostDefaultBytes != c.hostDefaults[1] {
				t.Errorf("hostDefaults %d hostDefaultBytes %d, want %d %d", a.hostDefaults, a.hostDefaultBytes, c.hostDefaults[0], c.hostDefaults[1])
			}
			if p.extra != c.extra || p.virtioConsole != c.vconsole {
				t.Errorf("extra %v virtioConsole %v, want %v %v", p.extra, p.virtioConsole, c.extra, c.vconsole)
			}
			if p.cwd != c.cwd || p.cpus != c.cpus {
				t.Errorf("cwd %q cpus %d, want %q %d", p.cwd, p.cpus, c.cwd, c.cpus)
			}
		})
	}
}

// TestDefaultEnvBytes checks the constant the initial stack counts the
// default variables' strings with against the variables themselves.
func TestDefaultEnvBytes(t *testing.T) {
	n := 0
	for _, e := range defaultEnv {
		n += len(e) + 1
	}
	if n != defaultEnvBytes {
		t.Errorf("defaultEnvBytes = %d, defaultEnv's strings with their NULs are %d", defaultEnvBytes, n)
	}
	if want := strings.Join(defaultEnv[:], "\x00") + "\x00"; defaultEnvStrings != want {
		t.Errorf("defaultEnvStrings = %q, defaultEnv's strings with their NULs are %q", defaultEnvStrings, want)
	}
}
