package qemu

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	if got, want := strings.Join(args(withTestDefaults(t, c), AccelTCG), " "), "-chardev socket,id=gotoro-stop,fd=4 -mon chardev=gotoro-stop,mode=readline"; !strings.Contains(got, want) {
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

// testStopChannel is a stop channel closed at the test's end.
func testStopChannel(t *testing.T) *stopChannel {
	t.Helper()
	ch, err := newStopChannel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.close)
	return ch
}

// hmpBanner is what QEMU 7.2's human monitor prints when it opens.
const hmpBanner = "QEMU 7.2.22 monitor - type 'help' for more information\r\n" + hmpPrompt

// fakeHMP serves a human monitor on QEMU's end of ch as QEMU 7.2 does:
// the banner and a prompt, then for each line the line editor's echo, a
// line break, reply(line) and the prompt again. It sends the lines it
// read to got and closes got at the end of the input.
func fakeHMP(ch *stopChannel, got chan<- string, reply func(string) string) {
	defer ch.qemu.Close()
	ch.qemu.Write([]byte(hmpBanner))
	r := bufio.NewReader(ch.qemu)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			close(got)
			return
		}
		line = strings.TrimSuffix(line, "\n")
		got <- line
		var echo strings.Builder
		for i := range line {
			echo.WriteString(line[:i+1] + "\x1b[K" + strings.Repeat("\x1b[D", i+1))
		}
		ch.qemu.Write([]byte(echo.String() + "\r\n" + reply(line) + hmpPrompt))
	}
}

// TestPowerDownOverPair presses the power button through a socket pair
// served by a fake human monitor: after its prompt, system_powerdown, and
// nothing else.
func TestPowerDownOverPair(t *testing.T) {
	ch := testStopChannel(t)
	got := make(chan string, 4)
	go fakeHMP(ch, got, func(string) string { return "" })
	if err := powerDown(t.Context(), "", ch.conn); err != nil {
		t.Fatal(err)
	}
	ch.conn.Close()
	var cmds []string
	for c := range got {
		cmds = append(cmds, c)
	}
	if s := strings.Join(cmds, " "); s != "system_powerdown" {
		t.Errorf("commands %q", s)
	}
}

// TestPowerDownRefused: what the monitor prints between the command and
// its next prompt is the command's error, and the power-down fails with
// it.
func TestPowerDownRefused(t *testing.T) {
	ch := testStopChannel(t)
	got := make(chan string, 4)
	go fakeHMP(ch, got, func(line string) string { return "unknown command: '" + line + "'\r\n" })
	err := powerDown(t.Context(), "", ch.conn)
	if err == nil || !strings.Contains(err.Error(), "unknown command: 'system_powerdown'") {
		t.Fatalf("power-down refused by the monitor: %v", err)
	}
	if errors.Is(err, errMonitorClosed) {
		t.Errorf("a refusal taken for QEMU's exit: %v", err)
	}
}

// TestPowerDownMonitorClosed: QEMU closing the monitor under the request
// (it is exiting) is told apart from other failures.
func TestPowerDownMonitorClosed(t *testing.T) {
	ch := testStopChannel(t)
	go func() {
		ch.qemu.Write([]byte(hmpBanner))
		bufio.NewReader(ch.qemu).ReadString('\n')
		ch.qemu.Close()
	}()
	if err := powerDown(t.Context(), "", ch.conn); !errors.Is(err, errMonitorClosed) {
		t.Fatalf("power-down over a monitor closed under it: %v, want errMonitorClosed", err)
	}
}

// TestPowerDownMonitorGone: QEMU exiting while gotoro types the command
// shows as a broken pipe on the write (QEMU closed its end first) or as a
// reset connection on the read (QEMU closed it with the command unread);
// both are QEMU closing the monitor, not a failure to ask for the stop.
func TestPowerDownMonitorGone(t *testing.T) {
	for _, tc := range []struct {
		name  string
		serve func(qemu *os.File)
	}{
		{"closed before the command", func(qemu *os.File) {
			qemu.Write([]byte(hmpBanner))
			qemu.Close()
		}},
		{"closed with the command unread", func(qemu *os.File) {
			qemu.Write([]byte(hmpBanner))
			var b [1]byte
			qemu.Read(b[:])
			qemu.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := testStopChannel(t)
			served := make(chan struct{})
			go func() { tc.serve(ch.qemu); close(served) }()
			if tc.name == "closed before the command" {
				<-served
			}
			if err := powerDown(t.Context(), "", ch.conn); !errors.Is(err, errMonitorClosed) {
				t.Fatalf("power-down while QEMU exits: %v, want errMonitorClosed", err)
			}
		})
	}
}

// TestPowerDownSilentPair: a monitor that never greets is given up on
// when the context ends, instead of blocking the stop.
func TestPowerDownSilentPair(t *testing.T) {
	ch := testStopChannel(t)
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

// TestPowerDownUnansweredPair: a monitor that prompts but never answers
// the power-down is given up on when the context ends.
func TestPowerDownUnansweredPair(t *testing.T) {
	ch := testStopChannel(t)
	go func() {
		ch.qemu.Write([]byte(hmpBanner))
		io.Copy(io.Discard, ch.qemu) // and nothing more
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := powerDown(ctx, "", ch.conn)
	if err == nil {
		t.Fatal("an unanswered power-down succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the context's", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestStopInterruptedAgain: a second interrupt (ctx cancelled) while the
// power button is being pressed through a monitor that has not prompted
// yet (QEMU still starting) kills QEMU at once and is the interrupt's,
// not a guest that ignored the stop for its grace period.
func TestStopInterruptedAgain(t *testing.T) {
	ch := testStopChannel(t)
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	var log strings.Builder
	var info exitInfo
	start := time.Now()
	waitErr, ctxErr := stopRequest{timeout: time.Minute, conn: ch.conn, log: &log}.wait(ctx, cmd, done, &info)
	if !errors.Is(ctxErr, context.Canceled) {
		t.Errorf("interrupted again during the power-down: ctxErr %v (wait %v), want the interrupt's", ctxErr, waitErr)
	}
	if info.stopKilled {
		t.Error("taken for a guest that did not stop within its grace period")
	}
	if cmd.ProcessState == nil || cmd.ProcessState.Success() {
		t.Errorf("QEMU's stand-in not killed: %v", cmd.ProcessState)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %v", d)
	}
	if strings.Contains(log.String(), "could not ask") {
		t.Errorf("told the user the stop could not be asked for: %q", log.String())
	}
}
