package bench

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Under TCG a boot's cost follows how many blocks of guest code QEMU
// translates (about 4–8 µs each on this project's machines, whatever the
// load: docs/boot.md). Blocks counts them from QEMU's -d in_asm log of one
// run (gotoro run -translation-log), split into the boot's phases at the
// first block of each phase's entry function.

// blockPhase names a phase and how its first block is recognised (by its
// function's symbol); the first phase of a list starts with the log.
type blockPhase struct {
	name  string
	first func(sym string) bool
}

// blockPhases are the phases of a gotoro run.
var blockPhases = []blockPhase{
	{"firmware (qboot; the floor has it too)", nil},
	{"kernel boot, entry → Go runtime", func(s string) bool { return strings.HasSuffix(s, "/kernel.entry64.abi0") }},
	{"Go runtime: rt0 → runtime.main", func(s string) bool { return strings.HasPrefix(s, "_rt0_amd64") }},
	{"Go runtime: runtime.main → main.main", func(s string) bool { return s == "runtime.main" }},
	{"program: main.main → exit", func(s string) bool { return s == "main.main" }},
}

// initsPhase is the index in blockPhases of runtime.main → main.main,
// where the packages' initializations run.
const initsPhase = 3

// userPeerPhases are the phases of a Go program's run under qemu-x86_64
// (the user-mode peer: no firmware or kernel before the runtime).
var userPeerPhases = []blockPhase{
	{"Go runtime: rt0 → runtime.main", nil},
	{"Go runtime: runtime.main → main.main", func(s string) bool { return s == "runtime.main" }},
	{"program: main.main → exit", func(s string) bool { return s == "main.main" }},
}

// userPeerInitsPhase is userPeerPhases' initsPhase.
const userPeerInitsPhase = 1

// gotoroPrefix starts the symbols of gotoro's own code (the kernel).
const gotoroPrefix = "github.com/gotoro/gotoro/"

// BlockPhase is what one phase translated.
type BlockPhase struct {
	Name   string
	Blocks int // translated blocks
	Insns  int // instructions in them
	Kernel int // blocks of gotoro's code (the kernel)
	// Again counts the blocks whose address had been translated before
	// in the run, KernelAgain those of them that are the kernel's: the
	// same code translated under other CPU state that QEMU keys its
	// translations by (the AVX enable bit before and after the kernel's
	// XSAVE set-up, SS's attributes; docs/boot.md).
	Again, KernelAgain int
	// KernelStackChecks counts the kernel's blocks that end in a Go
	// function prologue's stack check (a compare of the stack pointer
	// with g's stack guard, then a conditional branch to morestack): one
	// block per splittable function translated. On a kernel stack no
	// prologue ever calls morestack, so the paths the program's system
	// calls take are //go:nosplit where the linker's budget allows
	// (docs/kernel.md).
	KernelStackChecks int
	// Funcs counts the blocks per function (symbol; "?" without one).
	Funcs map[string]int
	// Inits, in the runtime.main → main.main phase only, splits its
	// blocks by the package whose initialization ran (inits.go), in the
	// order the packages ran.
	Inits []InitBlocks
}

// FuncBlocks is a function and its translated blocks.
type FuncBlocks struct {
	Func   string
	Blocks int
}

// Top returns the n functions of p with the most translated blocks,
// most first (ties by name).
func (p BlockPhase) Top(n int) []FuncBlocks {
	var fs []FuncBlocks
	for f, b := range p.Funcs {
		fs = append(fs, FuncBlocks{f, b})
	}
	slices.SortFunc(fs, func(a, b FuncBlocks) int {
		if c := cmp.Compare(b.Blocks, a.Blocks); c != 0 {
			return c
		}
		return strings.Compare(a.Func, b.Func)
	})
	return fs[:min(n, len(fs))]
}

// CountBlocks reads a QEMU -d in_asm log: each translated block starts
// with a line "IN: SYMBOL" (SYMBOL empty where QEMU knows none), then one
// line per instruction ("0x…: …").
func CountBlocks(r io.Reader) ([]BlockPhase, error) {
	return countBlocks(r, blockPhases, initsPhase)
}

// countBlocks is CountBlocks with the phases specs, of which the one at
// index inits is split by package initialization.
func countBlocks(r io.Reader, specs []blockPhase, initsAt int) ([]BlockPhase, error) {
	phases := make([]BlockPhase, len(specs))
	for i := range phases {
		phases[i] = BlockPhase{Name: specs[i].name, Funcs: map[string]int{}}
	}
	cur, seen := 0, false
	addrs := map[string]bool{} // first addresses of the blocks so far
	first, kernel := false, false
	check := false // the block so far compares the stack pointer with g's guard
	var inits initCounter
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if sym, ok := strings.CutPrefix(line, "IN:"); ok {
			sym = strings.TrimSpace(sym)
			if next := cur + 1; next < len(specs) && specs[next].first(sym) {
				cur = next
			}
			p := &phases[cur]
			p.Blocks++
			seen, first, check = true, true, false
			kernel = strings.HasPrefix(sym, gotoroPrefix)
			if kernel {
				p.Kernel++
			}
			if sym == "" {
				sym = "?"
			}
			p.Funcs[sym]++
			if cur == initsAt {
				inits.block(sym, kernel)
			}
			continue
		}
		if strings.HasPrefix(line, "0x") {
			phases[cur].Insns++
			if kernel {
				if isStackGuardCompare(line) {
					check = true
				} else if check && isJBE(line) {
					phases[cur].KernelStackChecks++
					check = false
				}
			}
			if first {
				first = false
				addr, _, _ := strings.Cut(line, ":")
				if addrs[addr] {
					phases[cur].Again++
					if kernel {
						phases[cur].KernelAgain++
					}
				}
				addrs[addr] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the translation log: %w", err)
	}
	phases[initsAt].Inits = inits.inits
	if !seen {
		return nil, fmt.Errorf("the translation log has no translated blocks (no \"IN:\" lines): was it written by QEMU's -d in_asm under TCG?")
	}
	return phases, nil
}

// isStackGuardCompare reports whether the instruction line of a -d in_asm
// log compares the stack pointer (or, for a large frame, the frame's
// lowest address in R12) with g.stackguard0, 16 bytes into the g that R14
// holds: the first half of a Go prologue's stack check.
func isStackGuardCompare(line string) bool {
	f := strings.Fields(line)
	for i := 0; i+2 < len(f); i++ {
		if f[i] == "cmpq" && f[i+1] == "0x10(%r14)," && (f[i+2] == "%rsp" || f[i+2] == "%r12") {
			return true
		}
	}
	return false
}

// isJBE reports whether the instruction line is a JBE, the second half of
// a Go prologue's stack check (the branch to morestack).
func isJBE(line string) bool {
	return slices.Contains(strings.Fields(line), "jbe")
}

// KernelBlocks returns the blocks the kernel's boot translated (entry →
// Go runtime), or 0 without a count (BootConfig.Blocks).
func (r *BootReport) KernelBlocks() int {
	if len(r.Blocks) < 2 {
		return 0
	}
	return r.Blocks[1].Blocks
}

// KernelInsns returns the instructions in the blocks the kernel's boot
// translated, or 0 without a count. Under TCG the boot's time follows
// them more closely than the blocks (docs/boot.md, "The kernel's boot on
// this host").
func (r *BootReport) KernelInsns() int {
	if len(r.Blocks) < 2 {
		return 0
	}
	return r.Blocks[1].Insns
}

// sigframeSym is the kernel's function that builds a signal frame.
const sigframeSym = gotoroPrefix + "kernel.setupSigframe"

// SignalBlocks returns the translated blocks of the kernel's signal frame
// set-up over all phases: not 0 when the run delivered a signal.
func SignalBlocks(phases []BlockPhase) int {
	n := 0
	for _, p := range phases {
		n += p.Funcs[sigframeSym]
	}
	return n
}

// countBlocksFile is CountBlocks of the file at path.
func countBlocksFile(path string) ([]BlockPhase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return CountBlocks(f)
}

// printBlocks prints the translated blocks per phase, and the functions
// with the most blocks in the kernel's boot (code that runs once).
func printBlocks(w io.Writer, name string, phases []BlockPhase) {
	fmt.Fprintf(w, "\n# translated blocks of one %s run under TCG (QEMU -d in_asm; the measure of a TCG boot that does not depend on the load)\n", name)
	fmt.Fprintf(w, "%-56s %8s %8s %8s %8s\n", "# phase", "blocks", "insns", "kernel's", "again")
	total := 0
	for _, p := range phases {
		fmt.Fprintf(w, "%-56s %8d %8d %8d %8d\n", p.Name, p.Blocks, p.Insns, p.Kernel, p.Again)
		total += p.Blocks
	}
	fmt.Fprintf(w, "%-56s %8d\n", "all", total)
	checks := 0
	for _, p := range phases[min(2, len(phases)):] {
		checks += p.KernelStackChecks
	}
	fmt.Fprintf(w, "the kernel's function prologues translated after its boot with a stack check: %d (one block each; docs/kernel.md, nosplit)\n", checks)
	if n := SignalBlocks(phases); n > 0 {
		fmt.Fprintf(w, "a signal was delivered (the kernel's signal frame code translated, %d blocks; in a booted hello, the runtime's preemption of its first thread: docs/boot.md)\n", n)
	}
	if len(phases) > 1 {
		fmt.Fprintf(w, "largest in the kernel boot (blocks):")
		for _, f := range phases[1].Top(12) {
			fmt.Fprintf(w, " %s %d", strings.TrimPrefix(f.Func, gotoroPrefix), f.Blocks)
		}
		fmt.Fprintln(w)
	}
	if len(phases) > initsPhase {
		printInits(w, phases[initsPhase].Inits)
	}
}
