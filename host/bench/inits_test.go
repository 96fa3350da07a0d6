package bench

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestInitPackage(t *testing.T) {
	for _, tc := range []struct{ sym, want string }{
		{"os.init", "os"},
		{"os.init.0", "os"},
		{"internal/godebug.init.0", "internal/godebug"},
		{"path/filepath.init", "path/filepath"},
		{"github.com/gotoro/gotoro/kernel.init.12", "github.com/gotoro/gotoro/kernel"},
		{"unicode.map.init.0", "unicode"},
		{"example.com/a.b/c.init", "example.com/a.b/c"},
		{"runtime.init.6.func1", ""},           // a closure of an init, run later
		{"runtime.(*mheap).init", ""},          // a method named init
		{"runtime.(*scavengerState).init", ""}, // the same
		{"runtime.mcommoninit", ""},
		{"runtime.(*unwinder).initAt", ""},
		{"os.initialize", ""},
		{"os.init.", ""},
		{"os.f.init", ""}, // a function's closure or a type's method
		{"", ""},
	} {
		if got := initPackage(tc.sym); got != tc.want {
			t.Errorf("initPackage(%q) = %q, want %q", tc.sym, got, tc.want)
		}
	}
}

// initLog writes a -d in_asm log of the given symbols, one block each
// (a "k:" prefix makes it a kernel block).
func initLog(syms ...string) string {
	var b strings.Builder
	for i, s := range syms {
		if k, ok := strings.CutPrefix(s, "k:"); ok {
			s = gotoroPrefix + k
		}
		fmt.Fprintf(&b, "----------------\nIN: %s\n0x%08x:  nop      \n\n", s, 0x400000+16*i)
	}
	return b.String()
}

func TestCountInits(t *testing.T) {
	log := initLog("", "k:kernel.entry64.abi0", "_rt0_amd64",
		"runtime.main", "runtime.doInit1",
		"runtime.init", "runtime.init.5", "runtime.mallocgc", // the runtime's own
		"runtime.main", "runtime.gcenable", "k:kernel.sysClone", // runtime.main's work
		"runtime.doInit1", "errors.init", "internal/reflectlite.elem",
		"os.init", "k:kernel.fcntl", "runtime.SetFinalizer", "os.init.0", "k:kernel.setupSigframe",
		"unicode.init", "runtime.mapassign_faststr",
		"runtime.main", "runtime.closechan",
		"main.main", "fmt.Fprintln", "runtime.main")
	phases, err := CountBlocks(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	want := []InitBlocks{
		{RuntimeMain, 8, 1, false}, // runtime.main, doInit1; runtime.main, gcenable, clone, doInit1; runtime.main, closechan
		{"runtime", 3, 0, false},
		{"errors", 2, 0, false},
		{"os", 5, 2, true},
		{"unicode", 2, 0, false},
	}
	if got := phases[initsPhase].Inits; !slices.Equal(got, want) {
		t.Errorf("inits:\n got  %v\n want %v", got, want)
	}
	sum := 0
	for _, in := range phases[initsPhase].Inits {
		sum += in.Blocks
	}
	if sum != phases[initsPhase].Blocks {
		t.Errorf("the inits' blocks add up to %d, the phase has %d", sum, phases[initsPhase].Blocks)
	}
	for i, p := range phases {
		if i != initsPhase && p.Inits != nil {
			t.Errorf("phase %q has inits %v", p.Name, p.Inits)
		}
	}
	var out bytes.Buffer
	printBlocks(&out, "hello", phases)
	for _, s := range []string{"4 packages, 12 blocks", "\n  os ", "(2)  with a signal's delivery", "(0)\n"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the report lacks %q:\n%s", s, out.String())
		}
	}
}
