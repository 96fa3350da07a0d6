package boottest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// stdPackages are the standard-library packages whose tests must pass in
// the guest (docs/stdlib.md has the full table). skip names tests that
// cannot run in a unikernel because they re-execute the test binary as a
// subprocess.
var stdPackages = []struct {
	pkg  string
	skip string
	// extra marks packages beyond the required list: they run on two
	// cores only.
	extra bool
}{
	{"strings", "", false}, {"bytes", "", false}, {"strconv", "", false}, {"sort", "", false},
	{"slices", "", false}, {"maps", "", false}, {"unicode/utf8", "", false},
	{"encoding/json", "", false}, {"encoding/binary", "", false}, {"encoding/base64", "", false},
	{"container/heap", "", false}, {"container/list", "", false}, {"math", "", false},
	{"math/big", "", false}, {"regexp", "", false}, {"bufio", "", false}, {"errors", "", false},
	{"sync", "^(TestIssue76126|TestMutexMisuse)$", false}, {"sync/atomic", "", false},
	{"hash/crc32", "", false}, {"crypto/sha256", "", false},
	// Beyond the required list: regression coverage for the file system,
	// loopback networking, pipes and time zones.
	{"fmt", "", true}, {"io", "", true}, {"time", "", true}, {"context", "", true},
	{"compress/gzip", "", true}, {"archive/tar", "", true}, {"text/template", "", true},
	{"net/url", "", true}, {"io/fs", "", true}, {"encoding/xml", "", true}, {"log", "", true},
	{"net/http", "", true},
}

// TestStdlibInGuest runs `gotoro test -short` for each package: the real CLI,
// building go test -c into an image with the package directory packed in.
// The required packages run on one core and on two; the extra ones on two.
// sync and sync/atomic also run on four cores with GOMAXPROCS 1, 2 and 4.
func TestStdlibInGuest(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	for _, p := range stdPackages {
		for _, cpus := range []int{1, 2, 4} {
			var testFlags []string
			switch {
			case cpus == 1 && p.extra:
				continue
			case cpus == 4 && p.pkg != "sync" && p.pkg != "sync/atomic":
				continue
			case cpus == 4:
				testFlags = []string{"-cpu", "1,2,4"}
			}
			t.Run(fmt.Sprintf("%s/cpus=%d", p.pkg, cpus), func(t *testing.T) {
				t.Parallel()
				gotoroTest(t, cli, p.pkg, p.skip, cpus, testFlags)
			})
		}
	}
}

// stdTestMem is the guest RAM for the standard-library tests. Run natively
// with GOMAXPROCS=2, regexp's -short tests peak at 211 MB resident,
// net/http's at 202 MB and archive/tar's at 170 MB, while the default
// 256 MiB guest leaves about 204 MiB to the program: whether they fit
// depended on when the collector ran. The guest gets what such a test
// needs on a developer's machine.
const stdTestMem = "512M"

// gotoroTest runs `gotoro test -short` for pkg on a guest with cpus cores.
func gotoroTest(t *testing.T, cli, pkg, skip string, cpus int, testFlags []string) {
	args := []string{"test", "-accel", "tcg", "-timeout", "15m", "-cpus", strconv.Itoa(cpus), "-mem", stdTestMem, "-short"}
	if skip != "" {
		args = append(args, "-skip", skip)
	}
	args = append(args, testFlags...)
	cmd := exec.Command(cli, append(args, pkg)...)
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gotoro %s: %v\n%s", strings.Join(append(args, pkg), " "), err, out)
	}
	if !strings.HasPrefix(strings.TrimSpace(lastLine(string(out))), "ok") {
		t.Errorf("gotoro test %s did not report ok:\n%s", pkg, out)
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
