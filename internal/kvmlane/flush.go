package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// Making L0 drop its translations of L1's kernel (see stale.go).
//
// QEMU 7.2 has no monitor command that flushes TCG's translation cache,
// and inserting a breakpoint through its gdbstub no longer does either:
// since QEMU 6.1 ("accel/tcg: Move breakpoint recognition outside
// translation") breakpoints are checked when a block is looked up, and
// cpu_breakpoint_insert does not flush. What does drop translations is a
// write through the gdbstub: cpu_memory_rw_debug writes guest RAM with
// address_space_write_rom, which invalidates every translated block of
// the written range (invalidate_and_set_dirty → tb_invalidate_phys_range)
// on pages that hold code. So the lane reads L1's kernel text and writes
// the same bytes back, with the machine stopped (QEMU's gdbstub stops it
// when a debugger attaches and runs it again on detach): memory does not
// change, and no translation of L1's kernel text survives.

// gdbChunk is how much memory one packet moves: QEMU 7.2's gdbstub takes
// packets of up to 4096 bytes, two hex digits per byte.
const gdbChunk = 1536

// gdbSocket is the gdbstub's socket in the work directory.
func gdbSocket(work string) string { return filepath.Join(work, "l0-gdb.sock") }

// startGDBStub has L0 listen for a debugger on the unix socket sock
// (HMP gdbserver), once per run.
func startGDBStub(c *qmp.Client, sock string) error {
	os.Remove(sock)
	out, err := c.HMP("gdbserver unix:" + sock + ",server=on,wait=off")
	if err != nil {
		return fmt.Errorf("starting L0's gdbstub: %w", err)
	}
	if !strings.Contains(out, "Waiting for gdb connection") {
		return fmt.Errorf("starting L0's gdbstub: QEMU says %q", strings.TrimSpace(out))
	}
	return nil
}

// flushStats says what a flush did.
type flushStats struct {
	bytes   uint64        // rewritten
	skipped int           // chunks the stub could not read
	took    time.Duration // with the machine stopped
}

// rewriteText reads text through g, as seen by vCPU cpu, and writes the
// same bytes back, chunk by chunk; then it detaches, which lets the
// machine run again.
func rewriteText(g *gdbClient, cpu int, text kernelText) (flushStats, error) {
	var fs flushStats
	start := time.Now()
	if _, err := g.stopReason(); err != nil {
		return fs, err
	}
	if err := g.selectCPU(cpu); err != nil {
		return fs, fmt.Errorf("selecting vCPU %d: %w", cpu, err)
	}
	for a := text.start; a < text.end; a += gdbChunk {
		n := int(min(gdbChunk, text.end-a))
		b, err := g.readMem(a, n)
		if err != nil {
			fs.skipped++
			if fs.skipped > 16 && fs.bytes == 0 {
				g.detach()
				return fs, fmt.Errorf("reading L1's kernel text at %#x: %w", a, err)
			}
			continue
		}
		if err := g.writeMem(a, b); err != nil {
			g.detach()
			return fs, fmt.Errorf("writing L1's kernel text back at %#x: %w", a, err)
		}
		fs.bytes += uint64(n)
	}
	err := g.detach()
	fs.took = time.Since(start)
	return fs, err
}

// dropL1Translations makes L0 drop every translation of L1's kernel text
// through its gdbstub (started on first use, *started records it) and
// makes sure L1 runs afterwards.
func dropL1Translations(ctx context.Context, c *qmp.Client, work string, started *bool, cpu int, text kernelText) (flushStats, error) {
	sock := gdbSocket(work)
	if !*started {
		if err := startGDBStub(c, sock); err != nil {
			return flushStats{}, err
		}
		*started = true
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	g, err := dialGDB(dctx, sock, 30*time.Second)
	cancel()
	if err != nil {
		return flushStats{}, err
	}
	defer g.Close()
	fs, err := rewriteText(g, cpu, text)
	// The stub runs the machine again on detach; if the session broke
	// before that, L1 would stay paused.
	if s, serr := c.Status(); serr == nil && s.Status == "paused" {
		if _, cerr := c.Execute("cont", nil); cerr != nil && err == nil {
			err = fmt.Errorf("L1 stayed paused after the gdbstub session: %w", cerr)
		}
	}
	return fs, err
}
