package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/prof"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/qmp"
)

// ProfConfig configures the profiler benchmark.
type ProfConfig struct {
	Dir    string     // the gotoro module root (examples/cpubench is built from it)
	Rates  []int      // sampling rates to measure
	Rounds int        // work rounds of the guest (0: its default)
	Runs   int        // repetitions of the whole set, interleaved (medians are reported)
	Accel  qemu.Accel // accelerator
	Out    io.Writer
}

// ProfRow is one run of the CPU-bound guest.
type ProfRow struct {
	Name    string
	Work    time.Duration // the guest's own time for its work
	Wall    time.Duration // QEMU's whole run, launch to exit, on the host clock
	Hz      int           // requested rate; 0 without profiling
	Live    bool
	TakenHz float64
	Paused  float64 // fraction of the time the guest was paused
	PerTick time.Duration
	Hot     string // the hottest function found
}

// workLine matches cpubench's figure; compiled at first use, not at every
// gotoro command's start.
var workLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`cpubench: (\d+) ns`) })

// Prof runs examples/cpubench without the profiler and with it at each
// rate (pausing the guest at every tick, and once live at the first rate),
// in one run, and prints the guest's work time, its ratio to the run
// without profiling, and the rate of samples actually taken.
func Prof(ctx context.Context, cfg ProfConfig) ([]ProfRow, error) {
	dir, err := os.MkdirTemp("", "gotoro-bench-prof-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	img := filepath.Join(dir, "cpubench.img")
	if _, err := build.Build(ctx, build.Options{Package: "./examples/cpubench", Dir: cfg.Dir, Output: img}); err != nil {
		return nil, fmt.Errorf("bench prof: %w", err)
	}
	syms, err := prof.LoadSymbols(img)
	if err != nil {
		return nil, err
	}
	runs := []ProfRow{{Name: "no profiler"}}
	for _, hz := range cfg.Rates {
		runs = append(runs, ProfRow{Name: fmt.Sprintf("%d Hz, paused", hz), Hz: hz})
	}
	if len(cfg.Rates) > 0 {
		runs = append(runs, ProfRow{Name: fmt.Sprintf("%d Hz, live", cfg.Rates[0]), Hz: cfg.Rates[0], Live: true})
	}
	// Machine noise (other guests, other builds) hits every configuration
	// alike when the set is repeated in turn; each row keeps its medians.
	works := make([][]time.Duration, len(runs))
	walls := make([][]time.Duration, len(runs))
	for rep := 0; rep < max(cfg.Runs, 1); rep++ {
		for i := range runs {
			if err := profRun(ctx, cfg, img, dir, syms, &runs[i]); err != nil {
				return nil, fmt.Errorf("bench prof: %s: %w", runs[i].Name, err)
			}
			works[i] = append(works[i], runs[i].Work)
			walls[i] = append(walls[i], runs[i].Wall)
		}
	}
	for i := range runs {
		_, runs[i].Work, _ = Stats(works[i])
		_, runs[i].Wall, _ = Stats(walls[i])
	}
	fmt.Fprintf(cfg.Out, "examples/cpubench, %d runs of each (medians of guest work and host wall time; the other columns are from the last run)\n", max(cfg.Runs, 1))
	printProf(cfg.Out, runs)
	return runs, nil
}

// profRun boots the guest once, sampling it at row.Hz (if not 0) until it
// exits.
func profRun(ctx context.Context, cfg ProfConfig, img, dir string, syms *prof.Symbols, row *ProfRow) error {
	var console bytes.Buffer
	sock := filepath.Join(dir, "qmp.sock")
	os.Remove(sock)
	guest := qemu.Guest{Args: []string{"cpubench"}}
	if cfg.Rounds > 0 {
		guest.Args = append(guest.Args, strconv.Itoa(cfg.Rounds))
	}
	done := make(chan error, 1)
	go func() {
		_, res, err := qemu.Boot(ctx, qemu.Config{Image: img, Accel: cfg.Accel, Timeout: 10 * time.Minute, Monitor: sock, Stdout: &console}, guest)
		if err == nil && (res.Outcome != qemu.Exited || res.Status != 0) {
			err = fmt.Errorf("guest ended with %v status %d", res.Outcome, res.Status)
		}
		row.Wall = res.Elapsed
		done <- err
	}()
	if row.Hz > 0 {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := qmp.Dial(dctx, sock)
		cancel()
		if err != nil {
			<-done
			return err
		}
		defer c.Close()
		t, err := prof.NewQMPTarget(c, dir)
		if err != nil {
			return err
		}
		defer t.Close()
		r, err := prof.Run(ctx, prof.Config{Target: t, Symbols: syms, Hz: row.Hz, Live: row.Live})
		if err != nil {
			<-done
			return err
		}
		row.TakenHz = r.TakenHz()
		if r.Elapsed > 0 {
			row.Paused = r.Paused.Seconds() / r.Elapsed.Seconds()
		}
		if r.Ticks > 0 {
			row.PerTick = r.Paused / time.Duration(r.Ticks)
		}
		if top := syms.Top(r.Samples, nil); len(top) > 0 {
			row.Hot = fmt.Sprintf("%s %.0f%%", top[0].Func, 100*float64(top[0].Count)/float64(len(r.Samples)))
		}
	}
	if err := <-done; err != nil {
		return err
	}
	m := workLine().FindSubmatch(console.Bytes())
	if m == nil {
		return fmt.Errorf("the guest printed no time:\n%s", console.String())
	}
	ns, _ := strconv.ParseInt(string(m[1]), 10, 64)
	row.Work = time.Duration(ns)
	return nil
}

func printProf(w io.Writer, rows []ProfRow) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tguest work\tvs none\thost wall\tvs none\ttaken/s\tpaused\tpause/tick\thottest")
	for _, r := range rows {
		ratio := float64(r.Work) / float64(rows[0].Work)
		wall := float64(r.Wall) / float64(rows[0].Wall)
		if r.Hz == 0 {
			fmt.Fprintf(tw, "%s\t%.3fs\t%.2fx\t%.3fs\t%.2fx\t-\t-\t-\t-\n", r.Name, r.Work.Seconds(), ratio, r.Wall.Seconds(), wall)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.3fs\t%.2fx\t%.3fs\t%.2fx\t%.1f of %d\t%.1f%%\t%.2fms\t%s\n", r.Name, r.Work.Seconds(), ratio, r.Wall.Seconds(), wall,
			r.TakenHz, r.Hz, 100*r.Paused, float64(r.PerTick.Microseconds())/1000, r.Hot)
	}
	tw.Flush()
}
