package boottest

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/bench"
	"github.com/gotoro/gotoro/internal/bootcase"
)

// TestStrippedImage: an image built with -ldflags='-s -w' (no symbol table,
// no DWARF: about a third smaller) keeps what the fault report, the
// profiler and boot tracing read, the pcln table and the section headers.
func TestStrippedImage(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "fault.img")
	if out, err := exec.Command(cli, "build", "-ldflags=-s -w", "-o", img, "./testdata/fault").CombinedOutput(); err != nil {
		t.Fatalf("gotoro build: %v\n%s", err, out)
	}
	f, err := elf.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_SYMTAB || strings.HasPrefix(s.Name, ".debug_") {
			t.Errorf("the stripped image has %s", s.Name)
		}
	}
	f.Close()

	out, err := exec.Command(cli, "run", "-accel", "tcg", img).CombinedOutput()
	if status := exitStatus(t, err); status != 126 {
		t.Fatalf("status %d, want 126 (guest fault)\n%s", status, out)
	}
	for _, want := range []string{"main.crash", "fault/main.go:18", "main.main"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("fault report of the stripped image lacks %q:\n%s", want, out)
		}
	}

	hot := filepath.Join(dir, "hotloop.img")
	if out, err := exec.Command(cli, "build", "-ldflags=-s -w", "-o", hot, "./testdata/hotloop").CombinedOutput(); err != nil {
		t.Fatalf("gotoro build: %v\n%s", err, out)
	}
	report, stderr, status := runProf(t, "-duration", "3s", "-hz", "50", "-o", filepath.Join(dir, "hot.pprof"), hot, "60")
	if status != 0 {
		t.Fatalf("gotoro prof: status %d\n%s\n%s", status, report, stderr)
	}
	if got := bootcase.TopOfSection(report, "vCPU 0:"); got != "main.hotSpin" {
		t.Errorf("profile of the stripped image tops with %q, want main.hotSpin:\n%s", got, report)
	}

	trace := filepath.Join(dir, "trace.json")
	started := time.Now()
	out, err = exec.Command(cli, "run", "-accel", "tcg", "-boottrace", trace, hot, "0").CombinedOutput()
	ended := time.Now()
	if err != nil {
		t.Fatalf("gotoro run -boottrace: %v\n%s", err, out)
	}
	tr, err := bench.ReadRunTrace(trace)
	if err != nil {
		t.Fatal(err)
	}
	checkTrace(t, tr, started, ended)
}
