package qemu

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStopMonitor(t *testing.T) {
	// No stop asked for: nothing changes.
	c := Config{}
	var hooks procHooks
	ch, cleanup, err := stopMonitor(&c, &hooks)
	if err != nil || ch != nil || c.Monitor != "" || c.stopFD != 0 || len(hooks.extra) != 0 {
		t.Fatalf("without Stop: channel %v, monitor %q, fd %d, %d files, %v", ch, c.Monitor, c.stopFD, len(hooks.extra), err)
	}
	cleanup()

	// A monitor the user named serves the stop.
	stop := make(chan struct{})
	c = Config{Stop: stop, Monitor: "/run/user.sock"}
	ch, cleanup, err = stopMonitor(&c, &hooks)
	if err != nil || ch != nil || c.Monitor != "/run/user.sock" || c.stopFD != 0 || len(hooks.extra) != 0 {
		t.Fatalf("with -monitor: channel %v, monitor %q, fd %d, %d files, %v", ch, c.Monitor, c.stopFD, len(hooks.extra), err)
	}
	cleanup()

	// Otherwise a private socket pair, QEMU's end after the descriptors
	// QEMU gets already (a snapshot's), and no file.
	c = Config{Stop: stop}
	first := os.NewFile(^uintptr(0), "snapshot file")
	hooks = procHooks{extra: []*os.File{first}}
	ch, cleanup, err = stopMonitor(&c, &hooks)
	if err != nil || ch == nil {
		t.Fatalf("private monitor: %v", err)
	}
	defer cleanup()
	if c.Monitor != "" || c.stopFD != 4 || len(hooks.extra) != 2 || hooks.extra[1] != ch.qemu {
		t.Fatalf("private monitor: monitor %q, fd %d, files %v", c.Monitor, c.stopFD, hooks.extra)
	}
	if got, want := strings.Join(args(withTestDefaults(t, c), AccelTCG), " "), "-chardev socket,id=gotoro-stop,fd=4 -mon chardev=gotoro-stop,mode=control"; !strings.Contains(got, want) {
		t.Errorf("QEMU arguments lack %q: %s", want, got)
	}
	// The two ends are connected: what one writes the other reads.
	go ch.qemu.Write([]byte("{}\n"))
	buf := make([]byte, 3)
	if _, err := io.ReadFull(ch.conn, buf); err != nil || string(buf) != "{}\n" {
		t.Fatalf("reading gotoro's end: %q, %v", buf, err)
	}
}

// withTestDefaults is c with its defaults and an image path filled in.
func withTestDefaults(t *testing.T, c Config) Config {
	t.Helper()
	c.Image = "test.img"
	c, err := c.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPowerDownOverPair presses the power button through a socket pair
// served by a fake QEMU monitor: the greeting, the capabilities, then
// system_powerdown, in that order.
func TestPowerDownOverPair(t *testing.T) {
	ch, err := newStopChannel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.close()
	got := make(chan string, 4)
	go func() {
		defer ch.qemu.Close()
		ch.qemu.Write([]byte(`{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": []}}` + "\r\n"))
		r := bufio.NewReader(ch.qemu)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(got)
				return
			}
			var cmd struct{ Execute string }
			json.Unmarshal([]byte(line), &cmd)
			got <- cmd.Execute
			ch.qemu.Write([]byte(`{"return": {}}` + "\r\n"))
		}
	}()
	if err := powerDown(t.Context(), "", ch.conn); err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for c := range got {
		cmds = append(cmds, c)
	}
	if s := strings.Join(cmds, " "); s != "qmp_capabilities system_powerdown" {
		t.Errorf("commands %q", s)
	}
}

// TestPowerDownSilentPair: a monitor that never greets is given up on
// when the context ends, instead of blocking the stop.
func TestPowerDownSilentPair(t *testing.T) {
	ch, err := newStopChannel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := powerDown(ctx, "", ch.conn); err == nil {
		t.Fatal("power-down over a silent monitor succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestStopGrace(t *testing.T) {
	if g := (stopRequest{}).grace(); g != DefaultStopTimeout {
		t.Errorf("default grace %v", g)
	}
	if g := (stopRequest{timeout: 2 * time.Second}).grace(); g != 2*time.Second {
		t.Errorf("grace %v", g)
	}
}

func TestPowerDownNoMonitor(t *testing.T) {
	start := time.Now()
	if err := powerDown(t.Context(), filepath.Join(t.TempDir(), "none.sock"), nil); err == nil {
		t.Fatal("power-down without a monitor succeeded")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

// TestPowerDownUnansweredPair: a monitor that negotiates but never answers
// the power-down is given up on when the context ends.
func TestPowerDownUnansweredPair(t *testing.T) {
	ch, err := newStopChannel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.close()
	go func() {
		ch.qemu.Write([]byte(`{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": []}}` + "\r\n"))
		r := bufio.NewReader(ch.qemu)
		if _, err := r.ReadString('\n'); err == nil { // qmp_capabilities
			ch.qemu.Write([]byte(`{"return": {}}` + "\r\n"))
		}
		io.Copy(io.Discard, r) // and nothing more
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := powerDown(ctx, "", ch.conn); err == nil {
		t.Fatal("an unanswered power-down succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
