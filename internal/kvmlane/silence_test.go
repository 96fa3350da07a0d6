package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestConsoleSilent: the limit before the runner is up is the longer one;
// any line, the heartbeat included, restarts the count; the case named is
// the one that started last.
func TestConsoleSilent(t *testing.T) {
	t0 := time.Unix(1000, 0)
	const after, before = 5 * time.Minute, 15 * time.Minute
	c := newConsole(t0)
	if bad, _, _ := c.silent(t0.Add(10*time.Minute), after, before); bad {
		t.Error("silent after 10 min before the runner is up, limit 15")
	}
	if bad, _, _ := c.silent(t0.Add(16*time.Minute), after, before); !bad {
		t.Error("not silent after 16 min before the runner is up")
	}
	c.saw("\x1b[0m"+markUp+" uptime=40s", t0.Add(time.Minute))
	c.saw(markRun+"wake/cpus=4", t0.Add(2*time.Minute))
	c.saw(markAlive+" uptime=100s", t0.Add(3*time.Minute))
	if bad, _, _ := c.silent(t0.Add(7*time.Minute), after, before); bad {
		t.Error("silent 4 min after a heartbeat, limit 5")
	}
	// A stuck L1's soft-lockup complaints are not its runner talking.
	c.saw("[  117.215680] watchdog: BUG: soft lockup - CPU#3 stuck for 79s! [kworker/3:1:52]", t0.Add(8*time.Minute))
	bad, quiet, cas := c.silent(t0.Add(9*time.Minute), after, before)
	if !bad || quiet != 6*time.Minute || cas != "wake/cpus=4" {
		t.Errorf("silent() = %v, %v, %q; want true, 6m0s, wake/cpus=4", bad, quiet, cas)
	}
}

// TestWatchSilence fires once on a silent console and never on one that
// keeps talking.
func TestWatchSilence(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := newConsole(time.Now())
	c.saw(markUp, time.Now())
	fired := make(chan string, 2)
	go watchSilence(ctx, c, 100*time.Millisecond, time.Hour, 10*time.Millisecond, func(string) { fired <- "fired" })
	select {
	case <-fired:
	case <-ctx.Done():
		t.Fatal("a silent console was not noticed")
	}

	talk := newConsole(time.Now())
	talk.saw(markUp, time.Now())
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	go func() {
		for ctx2.Err() == nil {
			talk.saw(markAlive, time.Now())
			time.Sleep(10 * time.Millisecond)
		}
	}()
	quietFired := make(chan struct{})
	go func() {
		watchSilence(ctx2, talk, 100*time.Millisecond, time.Hour, 10*time.Millisecond, func(string) { close(quietFired) })
	}()
	select {
	case <-quietFired:
		t.Fatal("a console that kept talking was called silent")
	case <-ctx2.Done():
	}
}

func TestKernelLogLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"[  117.215680] watchdog: BUG: soft lockup - CPU#3 stuck for 79s! [kworker/3:1:52]", true},
		{"[    7.391064] reboot: Power down", true},
		{"[12345.000001] x", true},
		{"LANE-ALIVE uptime=93.86 load=4.35,7/80", false},
		{"--- PASS: gc/cpus=2 (3.10s)", false},
		{"[gotoro] hello", false},
		{"[1.] x", false},
		{"[ abc.123] x", false},
		{"", false},
	} {
		if got := kernelLogLine(tc.line); got != tc.want {
			t.Errorf("kernelLogLine(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

// TestWatchLockup: a runner that keeps its heartbeat going while L1's
// kernel reports a CPU stuck past the limit ends the run; a shorter
// lockup (a host that starved L1 for a while) does not.
func TestWatchLockup(t *testing.T) {
	c := newConsole(time.Now())
	c.saw(markUp, time.Now())
	c.saw(markRun+"gc/cpus=2", time.Now())
	c.saw("[  117.215680] watchdog: BUG: soft lockup - CPU#3 stuck for 79s! [kworker/3:1:52]", time.Now())
	if _, _, bad := c.lockedUp(2 * time.Minute); bad {
		t.Error("a 79 s lockup counted as stuck, limit 2 min")
	}
	c.saw("[  429.215676] watchdog: BUG: soft lockup - CPU#3 stuck for 369s! [kworker/3:1:52]", time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fired := make(chan string, 1)
	go func() {
		for ctx.Err() == nil {
			c.saw(markAlive, time.Now())
			time.Sleep(10 * time.Millisecond)
		}
	}()
	go watchSilence(ctx, c, 2*time.Minute, time.Hour, 10*time.Millisecond, func(why string) { fired <- why })
	select {
	case why := <-fired:
		if !strings.Contains(why, "stuck for 369s") || !strings.Contains(why, "in case gc/cpus=2") {
			t.Errorf("reason = %q, want the lockup line and the case", why)
		}
	case <-ctx.Done():
		t.Fatal("a CPU stuck for 369 s with the heartbeat going was not noticed")
	}
}

func TestSoftLockup(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Duration
		ok   bool
	}{
		{"[  117.215680] watchdog: BUG: soft lockup - CPU#3 stuck for 79s! [kworker/3:1:52]", 79 * time.Second, true},
		{"[    1.0] watchdog: BUG: soft lockup - CPU#12 stuck for 0s! [x]", 0, true},
		{"[    7.391064] reboot: Power down", 0, false},
		{"soft lockup - CPU#3 stuck for many s! [x]", 0, false},
	} {
		d, ok := softLockup(tc.line)
		if d != tc.want || ok != tc.ok {
			t.Errorf("softLockup(%q) = %v, %v; want %v, %v", tc.line, d, ok, tc.want, tc.ok)
		}
	}
}
