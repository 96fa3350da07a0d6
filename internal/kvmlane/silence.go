package main

import (
	"context"
	"strings"
	"sync"
	"time"
)

// The nested guest's runner prints a heartbeat (markAlive) every
// heartbeatEvery while it runs, whatever the case in progress is doing:
// cases bound their own guests with time limits, so a console that stays
// silent for minutes means L1 itself stopped running (its kernel, or L0's
// emulation of it), not a slow case. The host then samples L1's registers
// and ends the run instead of waiting for the whole-run limit.
const (
	heartbeatEvery = 30 * time.Second
	// silenceBeforeUp bounds the silence before the runner is up (Linux's
	// boot under TCG, with its console at loglevel 3, prints little).
	silenceBeforeUp = 15 * time.Minute
)

// console follows what the nested guest last printed, for the silence
// watchdog.
type console struct {
	mu   sync.Mutex
	last time.Time // when the last line arrived
	up   bool      // the runner has said it is up
	cas  string    // the case that started last
}

func newConsole(now time.Time) *console { return &console{last: now} }

// saw records a line read at now. A line of L1's kernel log (its
// timestamp in brackets) does not count as L1 running: a stuck L1 keeps
// printing soft-lockup complaints every few seconds, which must not hide
// the silence of its runner.
func (c *console) saw(line string, now time.Time) {
	if i := strings.Index(line, "LANE-"); i > 0 {
		line = line[i:]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if kernelLogLine(line) {
		return
	}
	c.last = now
	switch {
	case strings.HasPrefix(line, markUp):
		c.up = true
	case strings.HasPrefix(line, markRun):
		c.cas = strings.TrimSpace(strings.TrimPrefix(line, markRun))
	}
}

// silent reports whether the console has been quiet at now for longer than
// its limit (after, before the runner is up), for how long, and the case
// that started last.
func (c *console) silent(now time.Time, after, before time.Duration) (bool, time.Duration, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	quiet := now.Sub(c.last)
	limit := before
	if c.up {
		limit = after
	}
	return quiet > limit, quiet, c.cas
}

// watchSilence checks c every tick until ctx ends, and calls fire once,
// then returns, when the console has been silent too long.
func watchSilence(ctx context.Context, c *console, after, before, tick time.Duration, fire func(quiet time.Duration, cas string)) {
	if after <= 0 {
		return
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if bad, quiet, cas := c.silent(now, after, before); bad {
				fire(quiet, cas)
				return
			}
		}
	}
}

// heartbeat prints markAlive every heartbeatEvery until ctx ends (in L1).
func heartbeat(ctx context.Context, print func()) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			print()
		}
	}
}

// kernelLogLine reports whether line is a Linux kernel message as its
// console prints it: "[ 117.215680] watchdog: BUG: soft lockup ...".
func kernelLogLine(line string) bool {
	rest, ok := strings.CutPrefix(strings.TrimLeft(line, "\x00"), "[")
	if !ok {
		return false
	}
	stamp, _, ok := strings.Cut(rest, "] ")
	if !ok {
		return false
	}
	stamp = strings.TrimLeft(stamp, " ")
	secs, frac, ok := strings.Cut(stamp, ".")
	return ok && secs != "" && frac != "" && strings.Trim(secs, "0123456789") == "" && strings.Trim(frac, "0123456789") == ""
}
