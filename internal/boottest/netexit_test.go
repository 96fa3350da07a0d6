package boottest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// netexitRuns is how many times each TestNetExit case runs: 1, or
// GOTORO_NETEXIT_RUNS (for a loop under load).
func netexitRuns() int {
	if n, err := strconv.Atoi(os.Getenv("GOTORO_NETEXIT_RUNS")); err == nil && n > 0 {
		return n
	}
	return 1
}

// netexitGuest is a running testdata/netexit guest with a connection to
// its listener.
type netexitGuest struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
	conn net.Conn
}

// startNetexit boots testdata/netexit with args behind `gotoro run -p
// PORT:8097SUFFIX` (suffix "" is the vsock bridge, "/tcp" netstack and
// QEMU's user network) and connects to it.
func startNetexit(t *testing.T, cli, suffix string, args ...string) *netexitGuest {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(cli, append([]string{"run", "-accel", "tcg", "-timeout", "5m",
		"-p", fmt.Sprintf("%d:8097%s", port, suffix), "./testdata/netexit"}, args...)...)
	g := &netexitGuest{cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = g.out, g.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.done <- cmd.Wait() }()
	for deadline := time.Now().Add(4 * time.Minute); !strings.Contains(g.out.String(), "netexit listening"); {
		select {
		case err := <-g.done:
			t.Fatalf("the guest ended before listening: %v\n%s", err, g.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the guest did not listen:\n%s", g.out.String())
		}
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("connecting to the guest: %v\n%s", err, g.out.String())
	}
	g.conn = c
	return g
}

// wait waits for the guest's exit and returns its output.
func (g *netexitGuest) wait(t *testing.T) (string, error) {
	t.Helper()
	select {
	case err := <-g.done:
		return g.out.String(), err
	case <-time.After(3 * time.Minute):
		g.cmd.Process.Kill()
		t.Fatalf("the guest did not end:\n%s", g.out.String())
	}
	return "", nil
}

// TestNetExit: a program that writes to a connection from the host and
// returns from main at once, closing the connection or not, loses none of
// it, on both -p paths, for 1 byte, 64 KiB and 4 MiB.
// GOTORO_NETEXIT_RUNS=20 repeats each case (run it with the host loaded).
func TestNetExit(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	runs := netexitRuns()
	for _, path := range []struct{ name, suffix string }{{"vsock", ""}, {"tcp", "/tcp"}} {
		for _, size := range []int{1, 64 << 10, 4 << 20} {
			for _, mode := range []string{"close", "noclose"} {
				t.Run(fmt.Sprintf("%s/%d/%s", path.name, size, mode), func(t *testing.T) {
					want := make([]byte, size)
					for i := range want {
						want[i] = byte(i * 7 % 251)
					}
					lost := 0
					for run := 0; run < runs; run++ {
						g := startNetexit(t, cli, path.suffix, strconv.Itoa(size), mode)
						g.conn.SetDeadline(time.Now().Add(3 * time.Minute))
						got, rerr := io.ReadAll(g.conn)
						g.conn.Close()
						out, err := g.wait(t)
						if err != nil {
							t.Errorf("run %d: the guest failed: %v\n%s", run, err, out)
						}
						if rerr != nil || !bytes.Equal(got, want) {
							lost++
							t.Logf("run %d: read %d of %d bytes (equal prefix: %v), %v\n%s",
								run, len(got), size, bytes.HasPrefix(want, got), rerr, out)
						}
					}
					if lost > 0 {
						t.Errorf("%d of %d runs lost data", lost, runs)
					}
				})
			}
		}
	}
}

// TestNetExitStuck: a peer that never reads does not hang the exit: the
// exit ends within its bound and names the connection that still held
// data.
func TestNetExitStuck(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	g := startNetexit(t, cli, "/tcp", "stuck")
	defer g.conn.Close()
	start := time.Now()
	out, err := g.wait(t)
	if err != nil {
		t.Fatalf("the guest failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "netexit stuck after") {
		t.Fatalf("the guest's write did not block:\n%s", out)
	}
	const want = "net: exit: 1 connection still held data after 10 s: "
	if !strings.Contains(out, want) || !strings.Contains(out, ":8097 -> ") {
		t.Errorf("the exit did not name the connection (want %q):\n%s", want, out)
	}
	// The bound (10 s) and the boot, under load: well below the guest's
	// own 3 minute wait.
	if d := time.Since(start); d > 90*time.Second {
		t.Errorf("the exit took %v", d)
	}
}
