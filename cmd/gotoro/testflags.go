package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// go test flags that gotoro test translates to -test.NAME=VALUE for the
// test binary. -timeout is gotoro test's own flag and is translated too.
var (
	testValueFlags = []string{"run", "skip", "list", "count", "cpu", "parallel", "shuffle", "bench", "benchtime"}
	testBoolFlags  = []string{"v", "short", "failfast", "benchmem"}
)

// defaultTestTimeout is go test's default -timeout.
const defaultTestTimeout = 10 * time.Minute

// timeoutGrace is how long after -timeout the guest is killed: the test
// binary panics at -timeout with a stack dump, which is more useful.
const timeoutGrace = time.Minute

// tcgTimeoutScale multiplies the default -timeout when the guest runs
// under TCG, which emulates every instruction: third-party suites ran 2.6
// to 19 times slower than natively there (docs/compat.md, median about
// 10), and klauspost/compress/zstd's 103 s natively outlasted go test's
// 10 minutes. A -timeout the user gives is kept as it is.
const tcgTimeoutScale = 6

// maxTestMemory is the guest RAM gotoro test gives a test binary by
// default: real suites need it (klauspost/compress's zstd tests peak above
// 1 GiB natively, bbolt's TestBucket_Put_ValueTooLarge allocates a 2 GiB
// value and ran out of a 2 GiB guest), and guest pages the test never
// touches cost the host nothing (QEMU backs guest RAM on first use; boot
// time does not depend on it).
const maxTestMemory = 4 * qemu.GiB

// defaultTestMemory returns the default -mem of gotoro test on a host with
// avail bytes of available memory (0 if unknown): maxTestMemory, or half
// of what the host has available if that is less, but never less than
// gotoro run's default.
func defaultTestMemory(avail uint64) uint64 {
	m := uint64(maxTestMemory)
	if avail > 0 && avail/2 < m {
		m = avail / 2 &^ (qemu.MiB - 1)
	}
	return max(m, qemu.DefaultMemory)
}

// hostAvailableMemory returns MemAvailable from /proc/meminfo in bytes, or
// 0 if it cannot be read.
func hostAvailableMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "MemAvailable:" && f[2] == "kB" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

// testOptions are the parsed command line of gotoro test.
type testOptions struct {
	gf      guestFlags
	gof     goFlags
	timeout time.Duration
	// timeoutSet: -timeout was given (else the default may be scaled for
	// the accelerator: forAccel).
	timeoutSet bool
	x          bool
	verbose    bool     // the test flag -v
	testArgs   []string // translated test flags, in order
	pkgs       []string
}

// binaryArgs returns the test binary's arguments after argv[0], as go test
// would pass them.
func (o *testOptions) binaryArgs() []string {
	a := []string{"-test.paniconexit0"}
	if o.timeout > 0 {
		a = append(a, "-test.timeout="+o.timeout.String())
	}
	return append(a, o.testArgs...)
}

// forAccel adapts the default -timeout to the accelerator the guests run
// with: under TCG it is tcgTimeoutScale times go test's.
func (o *testOptions) forAccel(a qemu.Accel) {
	if !o.timeoutSet && a == qemu.AccelTCG && o.timeout == defaultTestTimeout {
		o.timeout = defaultTestTimeout * tcgTimeoutScale
	}
}

// bootTimeout is when the guest is killed: the test timeout plus a grace
// period, or never.
func (o *testOptions) bootTimeout() time.Duration {
	if o.timeout <= 0 {
		return 0
	}
	return o.timeout + timeoutGrace
}

func testFlagSet() (*flag.FlagSet, *testOptions) {
	o := &testOptions{}
	fs := flag.NewFlagSet("gotoro test", flag.ContinueOnError)
	o.gf.register(fs)
	o.gf.mem = sizeFlag(defaultTestMemory(hostAvailableMemory()))
	fs.Lookup("mem").DefValue = o.gf.mem.String()
	// Tests run without a network device unless asked (-net user): the
	// network service's goroutines would otherwise run in every test
	// binary that uses package net, and goroutine-leak checks
	// (go.uber.org/goleak) count them; they cannot be started on demand
	// (docs/net.md). Tests that reach other machines need -net user.
	o.gf.net = networkFlag(qemu.NetNone)
	fs.Lookup("net").DefValue = string(qemu.NetNone)
	o.gof.register(fs)
	fs.Func("timeout", "panic the test binary after `duration` (0: no limit), as go test does (default 10m; 1h under TCG)", func(s string) error {
		d, err := time.ParseDuration(s)
		o.timeout, o.timeoutSet = d, true
		return err
	})
	o.timeout = defaultTestTimeout
	fs.Func("test.timeout", "same as -timeout", func(s string) error {
		d, err := time.ParseDuration(s)
		o.timeout, o.timeoutSet = d, true
		return err
	})
	fs.BoolVar(&o.x, "x", false, "print the go and QEMU command lines")
	for _, name := range testValueFlags {
		set := func(v string) error {
			o.testArgs = append(o.testArgs, "-test."+name+"="+v)
			return nil
		}
		fs.Func(name, "test flag: passed to the test binary as -test."+name, set)
		fs.Func("test."+name, "test flag", set)
	}
	for _, name := range testBoolFlags {
		set := func(v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return err
			}
			if name == "v" {
				o.verbose = b
			}
			o.testArgs = append(o.testArgs, "-test."+name+"="+strconv.FormatBool(b))
			return nil
		}
		fs.BoolFunc(name, "test flag: passed to the test binary as -test."+name, set)
		fs.BoolFunc("test."+name, "test flag", set)
	}
	setUsage(fs, testUsage)
	return fs, o
}

// parseTestArgs parses gotoro test's command line: flags and packages in
// any order, -test.NAME=VALUE flags gotoro does not know passed through,
// and everything after -args passed to the test binary as is.
func parseTestArgs(fs *flag.FlagSet, o *testOptions, args []string) error {
	var after []string
	for i, a := range args {
		if a == "-args" || a == "--args" {
			args, after = args[:i], args[i+1:]
			break
		}
	}
	var known, passed []string
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && strings.HasPrefix(name, "test.") && fs.Lookup(name) == nil {
			passed = append(passed, "-"+strings.TrimLeft(a, "-"))
			continue
		}
		known = append(known, a)
	}
	rest := known
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		rest = fs.Args()
		for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			o.pkgs = append(o.pkgs, rest[0])
			rest = rest[1:]
		}
		if len(rest) == 0 {
			break
		}
		if rest[0] == "-" {
			return fmt.Errorf("invalid argument %q", rest[0])
		}
	}
	o.testArgs = append(o.testArgs, passed...)
	o.testArgs = append(o.testArgs, after...)
	return nil
}
