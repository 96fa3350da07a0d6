package boottest

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/kernel/percpu"
)

// Linker figures of linux/amd64 the guard must hold besides a chain.
const (
	nosplitBudget = 800 // the linker's nosplit limit, rounded up (792 in Go 1.26)
	smallFrame    = 128 // a splittable function with a frame this small checks SP itself, not SP-frame
)

// TestNosplitGuard: the room a kernel g keeps below its stack guard
// (percpu.KGuard) holds the worst a nosplit chain can use below the last
// stack check. The linker refuses a chain over its budget but takes an
// indirect call for a call of a splittable function, so a nosplit
// function reached through an interface or a function value (file kinds'
// methods, mm.Host, the system-call table) starts a second chain: the
// guard must hold the budget, a small frame and the deepest nosplit chain
// of the kernel, in an optimized and in an unoptimized (-N -l) build. The
// chains come from the linker's own graph (-debugnosplit).
func TestNosplitGuard(t *testing.T) {
	needQEMU(t) // the gotoro command and an image build, as the boot tests
	cli := buildCLI(t)
	for _, b := range []struct{ name, gcflags string }{{"optimized", ""}, {"unoptimized", "all=-N -l"}} {
		t.Run(b.name, func(t *testing.T) {
			args := []string{"build", "-v", "-ldflags=-debugnosplit", "-o", filepath.Join(t.TempDir(), "hello.img")}
			if b.gcflags != "" {
				args = append(args, "-gcflags="+b.gcflags)
			}
			out, err := exec.Command(cli, append(args, "../../examples/hello")...).CombinedOutput()
			if err != nil {
				t.Fatalf("gotoro build -ldflags=-debugnosplit: %v\n%s", err, out)
			}
			height, chain, n := deepestKernelNosplit(t, out)
			t.Logf("%d nosplit kernel functions; deepest %d bytes: %s", n, height, chain)
			if n < 50 {
				t.Fatalf("only %d nosplit kernel functions in the linker's graph: did -debugnosplit change its output?", n)
			}
			if need := nosplitBudget + smallFrame + height; need > percpu.KGuard {
				t.Errorf("percpu.KGuard is %d bytes, but a chain at the linker's budget (%d) that reaches %s through an indirect call needs %d below the stack guard: shorten that chain, make the function splittable, or raise KGuard (and KGUARD in kernel/entry_amd64.s)",
					percpu.KGuard, nosplitBudget, chain, need)
			}
		})
	}
}

// nosplitEdge matches a line of the linker's -debugnosplit graph: a call
// from a function at a stack height.
var nosplitEdge = regexp.MustCompile(`^nosplit: (\S+) \+(\d+) -> (\S+)$`)

// deepestKernelNosplit reads the linker's nosplit graph and returns the
// largest stack height a nosplit Go function of the kernel (ABIInternal,
// "<1>") reaches from its entry, the chain that reaches it, and how many
// such functions there are. A splittable function shows as a call of
// runtime.morestack from its prologue.
func deepestKernelNosplit(t *testing.T, graph []byte) (height int, chain string, n int) {
	type edge struct {
		at int
		to string
	}
	edges := map[string][]edge{}
	sc := bufio.NewScanner(bytes.NewReader(graph))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		m := nosplitEdge.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		at, _ := strconv.Atoi(m[2])
		edges[m[1]] = append(edges[m[1]], edge{at, m[3]})
	}
	splittable := func(f string) bool {
		for _, e := range edges[f] {
			if strings.HasPrefix(e.to, "runtime.morestack") && e.at <= 8 {
				return true
			}
		}
		return false
	}
	type result struct {
		h     int
		chain []string
	}
	memo := map[string]result{}
	var deepest func(f string, depth int) result
	deepest = func(f string, depth int) result {
		if r, ok := memo[f]; ok {
			return r
		}
		best := result{0, []string{f}}
		if depth > 200 { // a cycle: the linker reports those itself
			return best
		}
		for _, e := range edges[f] {
			r := result{e.at, []string{f, e.to}}
			if e.to != "indirect" && !strings.HasPrefix(e.to, "runtime.morestack") {
				sub := deepest(e.to, depth+1)
				r = result{e.at + sub.h, append([]string{f}, sub.chain...)}
			}
			if r.h > best.h {
				best = r
			}
		}
		memo[f] = best
		return best
	}
	var top result
	for f := range edges {
		if !strings.Contains(f, "gotoro/kernel") || !strings.HasSuffix(f, "<1>") || splittable(f) {
			continue
		}
		n++
		if r := deepest(f, 0); r.h > top.h {
			top = r
		}
	}
	short := make([]string, len(top.chain))
	for i, f := range top.chain {
		short[i] = f[strings.LastIndex(f, "/")+1:]
	}
	return top.h, strings.Join(short, " -> "), n
}
