package boottest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/compat"
)

// TestCompatSubset runs the CI subset of the compatibility suite
// (internal/compat, docs/compat.md): third-party modules' own tests, from
// a fresh module made with go mod init and go get, natively and with
// gotoro test. Every package that passes natively must pass in the guest.
// It needs the Go module proxy (as CI has); without it the test skips,
// unless GOTORO_REQUIRE_VM=1.
func TestCompatSubset(t *testing.T) {
	needQEMU(t)
	if testing.Short() {
		t.Skip("downloads modules and runs their tests")
	}
	cli := buildCLI(t)
	var suites []compat.Suite
	for _, s := range compat.Suites {
		if s.CI {
			suites = append(suites, s)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	var log bytes.Buffer
	cfg := compat.Config{Dir: dir, Gotoro: cli, GotoroFlags: []string{"-accel", "tcg"}, Log: &log}
	if err := compat.Prepare(ctx, cfg, suites); err != nil {
		if !requireVM() {
			if out, err2 := exec.Command("go", "env", "GOPROXY").Output(); err2 == nil && strings.Contains(string(out), "off") || os.Getenv("GOFLAGS") == "-mod=vendor" {
				t.Skip("no module proxy:", err)
			}
		}
		t.Fatalf("preparing the module: %v\n%s", err, log.String())
	}
	start := time.Now()
	rs, err := compat.Run(ctx, cfg, suites)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	compat.Markdown(&table, rs)
	t.Logf("compatibility subset in %v:\n%s", time.Since(start).Round(time.Second), table.String())
	for _, r := range rs {
		if r.Native.Passed && !r.Guest.Passed {
			b, _ := os.ReadFile(r.Guest.Log)
			t.Errorf("%s passes natively but not in the guest:\n%s", r.Package, lastLines(string(b), 40))
		}
		if !r.Native.Passed {
			t.Errorf("%s fails natively (the pinned version or the module set is wrong): %s", r.Package, r.Native.Note)
		}
	}
}
