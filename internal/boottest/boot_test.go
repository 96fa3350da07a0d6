package boottest

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// forCores runs f as a parallel subtest for each core count.
func forCores(t *testing.T, counts []int, f func(t *testing.T, cpus int)) {
	for _, n := range counts {
		t.Run(fmt.Sprintf("cpus=%d", n), func(t *testing.T) {
			t.Parallel()
			f(t, n)
		})
	}
}

func TestGoroutines(t *testing.T) {
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "goroutines", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "goroutines ok: counter=1000 sum=999000") || !strings.Contains(out, "select ok: 42") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
}

// TestSMP boots 2, 4 and 8 cores: NumCPU and GOMAXPROCS, gotoro.Go placing
// work on the asked core, per-thread affinity, and every core working
// under a parallel load.
func TestSMP(t *testing.T) {
	forCores(t, []int{2, 4, 8}, func(t *testing.T, cpus int) {
		out, res := boot(t, "smp", bootOpts{cpus: cpus, args: []string{strconv.Itoa(cpus)}})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "smp ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
}

func TestArgsEnvCwd(t *testing.T) {
	t.Parallel()
	out, res := boot(t, "args", bootOpts{args: []string{"two words", "", "100%"}, env: []string{"GREETING=héllo =x"}})
	wantExit(t, out, res, 0)
	for _, want := range []string{`arg[0]="args"`, `arg[1]="two words"`, `arg[2]=""`, `arg[3]="100%"`, `GREETING="héllo =x"`, `wd="/"`} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %s:\n%s", want, out)
		}
	}
}

// TestDefaultEnv: the kernel adds HOME, PATH, TERM and GOMEMLIMIT to the
// program's environment unless the host sets them; a variable the host
// sets appears once, with the host's value.
// quotedLines returns the Go-quoted values of the console lines that
// start with prefix, in order.
func quotedLines(t *testing.T, out, prefix string) (vals []string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), prefix); ok {
			s, err := strconv.Unquote(v)
			if err != nil {
				t.Fatalf("%sline %q: %v", prefix, l, err)
			}
			vals = append(vals, s)
		}
	}
	return vals
}

// TestArgsEnvInterleaved boots with arg= and env= tokens interleaved on
// the command line (the host's, then more from kernel parameters): the
// initial stack keeps each kind in the line's order, and
// /proc/self/cmdline and environ show the arguments' and the environment's
// strings as two runs.
func TestArgsEnvInterleaved(t *testing.T) {
	t.Parallel()
	out, res := boot(t, "args", bootOpts{
		args: []string{"a%b", "é"},
		env:  []string{"E1=1"},
		params: []bootabi.Param{
			{Key: bootabi.KeyArg, Value: "late"},
			{Key: bootabi.KeyEnv, Value: "LATE=%41 x"},
			{Key: bootabi.KeyArg, Value: ""},
			{Key: bootabi.KeyArg, Value: "last"},
		},
	})
	wantExit(t, out, res, 0)
	args := []string{"args", "a%b", "é", "late", "", "last"}
	for i, a := range args {
		if want := fmt.Sprintf("arg[%d]=%q", i, a); !strings.Contains(out, want) {
			t.Errorf("console lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, fmt.Sprintf("arg[%d]=", len(args))) {
		t.Errorf("more than %d arguments:\n%s", len(args), out)
	}
	if got, want := quotedLines(t, out, "cmdline "), strings.Join(args, "\x00")+"\x00"; len(got) != 1 || got[0] != want {
		t.Errorf("/proc/self/cmdline %q, want %q", got, want)
	}
	env := quotedLines(t, out, "environ ")
	want := []string{"E1=1", "LATE=%41 x", "HOME=/", "PATH=/bin", "TERM=dumb"}
	if len(env) != len(want)+1 || !slices.Equal(env[:len(want)], want) || !strings.HasPrefix(env[len(want)], "GOMEMLIMIT=") {
		t.Errorf("environment %q, want %q and the default GOMEMLIMIT", env, want)
	}
}

func TestDefaultEnv(t *testing.T) {
	t.Parallel()
	environ := func(out string) []string { return quotedLines(t, out, "environ ") }
	for _, c := range []struct {
		name string
		env  []string
		want []string // exact entries, in order, after the host's
	}{
		{"defaults", nil, []string{"HOME=/", "PATH=/bin", "TERM=dumb"}},
		{"host sets HOME and TERM", []string{"HOME=/home/u", "TERM=xterm"}, []string{"HOME=/home/u", "TERM=xterm", "PATH=/bin"}},
		{"host sets PATH and GOMEMLIMIT", []string{"PATH=/x", "GOMEMLIMIT=off", "HOMEX=1"}, []string{"PATH=/x", "GOMEMLIMIT=off", "HOMEX=1", "HOME=/", "TERM=dumb"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, res := boot(t, "args", bootOpts{env: c.env})
			wantExit(t, out, res, 0)
			env := environ(out)
			var rest []string
			mem := 0
			for _, e := range env {
				if strings.HasPrefix(e, "GOMEMLIMIT=") && !slices.Contains(c.env, e) {
					mem++
					continue
				}
				rest = append(rest, e)
			}
			wantMem := 1
			if slices.Contains(c.env, "GOMEMLIMIT=off") {
				wantMem = 0
			}
			if !slices.Equal(rest, c.want) || mem != wantMem {
				t.Errorf("environment %q, want %q and %d default GOMEMLIMIT", env, c.want, wantMem)
			}
			// The runtime reads the variables through envp's pointers,
			// /proc/self/environ shows the strings: both must agree (no
			// key repeats here, which os.Environ would drop).
			if goenv := quotedLines(t, out, "goenv "); !slices.Equal(goenv, env) {
				t.Errorf("the runtime's environment %q, the initial stack's strings %q", goenv, env)
			}
		})
	}
}

func TestFiles(t *testing.T) {
	t.Parallel()
	host, err := filepath.Abs("testdata/files")
	if err != nil {
		t.Fatal(err)
	}
	out, res := boot(t, "files", bootOpts{files: []build.Mount{{HostDir: host, GuestDir: "/src"}}, cwd: "/src"})
	wantExit(t, out, res, 0)
	data, err := os.ReadFile("testdata/files/testdata/sub/random.bin")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`greeting="hello packed file\n"`,
		fmt.Sprintf("random.bin sha256=%x", sha256.Sum256(data)),
		"tmp ok: 100 entries, first f000, moved size 1048576 then 10",
		"files ok, wd /src",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
}

func TestLoopbackHTTP(t *testing.T) {
	t.Parallel()
	out, res := boot(t, "loopback", bootOpts{})
	wantExit(t, out, res, 0)
	if !strings.Contains(out, "loopback ok") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

func TestHangTimesOut(t *testing.T) {
	t.Parallel()
	start := time.Now()
	out, res := boot(t, "hang", bootOpts{timeout: 5 * time.Second})
	if res.Outcome != qemu.TimedOut {
		t.Fatalf("outcome %v, want a timeout\n%s", res.Outcome, out)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("timeout took %v", d)
	}
	if !strings.Contains(out, "hanging") {
		t.Errorf("console lost: %q", out)
	}
}

// TestMemoryAbove4GiB boots with 6 GiB: QEMU puts RAM above 4 GiB, which the
// kernel must add to its direct map.
func TestMemoryAbove4GiB(t *testing.T) {
	t.Parallel()
	out, res := boot(t, "args", bootOpts{mem: 6 << 30})
	wantExit(t, out, res, 0)
	m := regexp.MustCompile(`totalram_mib=(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no totalram in:\n%s", out)
	}
	if mib, _ := strconv.Atoi(m[1]); mib < 5500 {
		t.Errorf("kernel manages %d MiB of a 6 GiB guest", mib)
	}
}

// TestLinuxABI checks errno values and the semantics of pipes, eventfd,
// epoll, futex and memory protection (the same program passes natively on
// Linux with the argument "native").
func TestLinuxABI(t *testing.T) {
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "abi", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "abi ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
}

// TestKernelTrace checks what -ktrace prints: every system call by name
// with its result (errno by name) at level 2, and an unimplemented call
// named once at level 1.
func TestKernelTrace(t *testing.T) {
	t.Parallel()
	out, res := boot(t, "ktrace", bootOpts{ktrace: 2})
	wantExit(t, out, res, 0)
	for _, re := range []string{
		`(?m)^\[\d+ \d+\.\d{3}ms\] openat\(0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+\) = -ENOENT$`,
		`(?m)^\[\d+ \d+\.\d{3}ms\] write\(0x0*1, 0x[0-9a-f]+, 0x0*7\) = 0x0*7$`,
		`(?m)^gotoro: unimplemented system call 163 \(acct\)$`,
		`(?m)^\[\d+ \d+\.\d{3}ms\] acct\(0x0+, 0x0+, 0x0+\) = -ENOSYS$`,
		`(?m)^\[\d+ \d+\.\d{3}ms\] exit_group\(0x0+, 0x[0-9a-f]+, 0x[0-9a-f]+\) = \?$`,
		`(?m)^\[\d+ \d+\.\d{3}ms\] rt_sigreturn\(`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("trace lacks %s:\n%s", re, out)
		}
	}
	if m := regexp.MustCompile(`(?m)^\[.*\] syscall \d+\(.*$`).FindString(out); m != "" {
		t.Errorf("trace names a call by number: %s", m)
	}
	if n := strings.Count(out, "unimplemented system call"); n != 1 {
		t.Errorf("%d reports of unimplemented calls, want 1", n)
	}
}
