package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

func TestParseTestArgs(t *testing.T) {
	for _, c := range []struct {
		args     []string
		pkgs     string
		testArgs string
		verbose  bool
		timeout  time.Duration
	}{
		{[]string{"./a"}, "./a", "", false, 10 * time.Minute},
		{[]string{"-v", "./a", "./b"}, "./a ./b", "-test.v=true", true, 10 * time.Minute},
		{[]string{"-run", "TestX", "-count=1", "./a"}, "./a", "-test.run=TestX -test.count=1", false, 10 * time.Minute},
		{[]string{"./a", "-short", "-failfast", "./b"}, "./a ./b", "-test.short=true -test.failfast=true", false, 10 * time.Minute},
		{[]string{"-bench", ".", "-benchtime", "100x", "-benchmem", "-cpu", "1,2", "./a"}, "./a",
			"-test.bench=. -test.benchtime=100x -test.benchmem=true -test.cpu=1,2", false, 10 * time.Minute},
		{[]string{"-timeout", "30s", "./a"}, "./a", "", false, 30 * time.Second},
		{[]string{"-test.timeout=1m", "./a"}, "./a", "", false, time.Minute},
		{[]string{"-test.run=X", "-test.v", "./a"}, "./a", "-test.run=X -test.v=true", true, 10 * time.Minute},
		{[]string{"-test.coverprofile=c.out", "./a"}, "./a", "-test.coverprofile=c.out", false, 10 * time.Minute},
		{[]string{"-v=false", "./a"}, "./a", "-test.v=false", false, 10 * time.Minute},
		{[]string{"./a", "-args", "-v", "x"}, "./a", "-v x", false, 10 * time.Minute},
		{[]string{"-mem", "1G", "-accel", "tcg", "-e", "K=V", "-x", "./a"}, "./a", "", false, 10 * time.Minute},
		{[]string{"-skip", "Y", "-list", ".", "-parallel", "4", "-shuffle", "on", "./a"}, "./a",
			"-test.skip=Y -test.list=. -test.parallel=4 -test.shuffle=on", false, 10 * time.Minute},
	} {
		fs, o := testFlagSet()
		if err := parseTestArgs(fs, o, c.args); err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if got := strings.Join(o.pkgs, " "); got != c.pkgs {
			t.Errorf("%q: packages %q, want %q", c.args, got, c.pkgs)
		}
		if got := strings.Join(o.testArgs, " "); got != c.testArgs {
			t.Errorf("%q: test args %q, want %q", c.args, got, c.testArgs)
		}
		if o.verbose != c.verbose || o.timeout != c.timeout {
			t.Errorf("%q: verbose %v timeout %v, want %v %v", c.args, o.verbose, o.timeout, c.verbose, c.timeout)
		}
	}
	fs, o := testFlagSet()
	if err := parseTestArgs(fs, o, []string{"-v=maybe", "./a"}); err == nil {
		t.Errorf("-v=maybe: want an error")
	}
	fs, o = testFlagSet()
	if err := parseTestArgs(fs, o, []string{"./a", "-"}); err == nil {
		t.Errorf("a lone -: want an error")
	}
}

func TestBinaryArgs(t *testing.T) {
	o := &testOptions{timeout: 10 * time.Minute, testArgs: []string{"-test.v=true"}}
	if got := strings.Join(o.binaryArgs(), " "); got != "-test.paniconexit0 -test.timeout=10m0s -test.v=true" {
		t.Errorf("binary args: %s", got)
	}
	if o.bootTimeout() != 11*time.Minute {
		t.Errorf("boot timeout %v", o.bootTimeout())
	}
	o.timeout = 0
	if got := strings.Join(o.binaryArgs(), " "); got != "-test.paniconexit0 -test.v=true" || o.bootTimeout() != 0 {
		t.Errorf("no timeout: %s, %v", got, o.bootTimeout())
	}
}

func TestDefaultTestMemory(t *testing.T) {
	for _, c := range []struct{ avail, want uint64 }{
		{0, maxTestMemory},
		{64 * qemu.GiB, maxTestMemory},
		{3 * qemu.GiB, 1536 * qemu.MiB},
		{300 * qemu.MiB, qemu.DefaultMemory},
		{3*qemu.GiB + 12345, 1536 * qemu.MiB},
		{6 * qemu.GiB, 3 * qemu.GiB},
	} {
		if got := defaultTestMemory(c.avail); got != c.want {
			t.Errorf("defaultTestMemory(%d) = %d, want %d", c.avail, got, c.want)
		}
	}
	if hostAvailableMemory() == 0 {
		t.Errorf("cannot read MemAvailable from /proc/meminfo")
	}
	_, o := testFlagSet()
	if uint64(o.gf.mem) != defaultTestMemory(hostAvailableMemory()) {
		t.Errorf("gotoro test -mem default %d", o.gf.mem)
	}
}

// TestTimeoutForAccel: the default -timeout grows under TCG; a -timeout
// the user gives (even the default's value, or 0) is kept.
func TestTimeoutForAccel(t *testing.T) {
	for _, c := range []struct {
		args  []string
		accel qemu.Accel
		want  time.Duration
	}{
		{nil, qemu.AccelTCG, defaultTestTimeout * tcgTimeoutScale},
		{nil, qemu.AccelKVM, defaultTestTimeout},
		{[]string{"-timeout", "10m"}, qemu.AccelTCG, 10 * time.Minute},
		{[]string{"-timeout=0"}, qemu.AccelTCG, 0},
		{[]string{"-test.timeout=3m"}, qemu.AccelTCG, 3 * time.Minute},
	} {
		fs, o := testFlagSet()
		if err := parseTestArgs(fs, o, append(c.args, "./a")); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		o.forAccel(c.accel)
		if o.timeout != c.want {
			t.Errorf("%v under %v: timeout %v, want %v", c.args, c.accel, o.timeout, c.want)
		}
	}
}
