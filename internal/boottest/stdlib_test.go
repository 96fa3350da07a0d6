package boottest

import (
	"os"
	"os/exec"
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
}{
	{"strings", ""}, {"bytes", ""}, {"strconv", ""}, {"sort", ""},
	{"slices", ""}, {"maps", ""}, {"unicode/utf8", ""},
	{"encoding/json", ""}, {"encoding/binary", ""}, {"encoding/base64", ""},
	{"container/heap", ""}, {"container/list", ""}, {"math", ""},
	{"math/big", ""}, {"regexp", ""}, {"bufio", ""}, {"errors", ""},
	{"sync", "^(TestIssue76126|TestMutexMisuse)$"}, {"sync/atomic", ""},
	{"hash/crc32", ""}, {"crypto/sha256", ""},
	// Beyond the required list: regression coverage for the file system,
	// loopback networking, pipes and time zones.
	{"fmt", ""}, {"io", ""}, {"time", ""}, {"context", ""},
	{"compress/gzip", ""}, {"archive/tar", ""}, {"text/template", ""},
	{"net/url", ""}, {"io/fs", ""}, {"encoding/xml", ""}, {"log", ""},
	{"net/http", ""},
}

// TestStdlibInGuest runs `gotoro test -short` for each package: the real CLI,
// building go test -c into an image with the package directory packed in.
func TestStdlibInGuest(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	for _, p := range stdPackages {
		t.Run(p.pkg, func(t *testing.T) {
			t.Parallel()
			args := []string{"test", "-accel", "tcg", "-timeout", "15m", "-short"}
			if p.skip != "" {
				args = append(args, "-skip", p.skip)
			}
			cmd := exec.Command(cli, append(args, p.pkg)...)
			cmd.Env = os.Environ()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("gotoro test %s: %v\n%s", p.pkg, err, out)
			}
			if !strings.HasPrefix(strings.TrimSpace(lastLine(string(out))), "ok") {
				t.Errorf("gotoro test %s did not report ok:\n%s", p.pkg, out)
			}
		})
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
