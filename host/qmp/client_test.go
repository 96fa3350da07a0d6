package qmp

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qmp/qmptest"
)

// fakeQEMU serves QMP on a Unix socket: it greets, then answers each
// command with reply(command), preceded by an event to check that events
// are skipped. It closes the connection on "quit".
func fakeQEMU(t *testing.T, reply func(cmd string, args json.RawMessage) string) string {
	t.Helper()
	return qmptest.Serve(t, func(req qmptest.Request) string {
		if req.Execute == "quit" {
			return ""
		}
		return `{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}` + "\r\n" + reply(req.Execute, req.Arguments)
	})
}

func dialTest(t *testing.T, sock string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClient(t *testing.T) {
	sock := fakeQEMU(t, func(cmd string, args json.RawMessage) string {
		switch cmd {
		case "qmp_capabilities", "stop", "cont":
			return `{"return": {}}`
		case "human-monitor-command":
			var a struct {
				CommandLine string `json:"command-line"`
			}
			json.Unmarshal(args, &a)
			if a.CommandLine == "info registers -a" {
				b, _ := json.Marshal(dump64)
				return `{"return": ` + string(b) + `}`
			}
			return `{"return": "unknown command: 'bogus'\r\n"}`
		}
		return `{"error": {"class": "CommandNotFound", "desc": "The command ` + cmd + ` has not been found"}}`
	})
	c := dialTest(t, sock)
	if c.Version != "7.2.22" {
		t.Errorf("version %q, want 7.2.22", c.Version)
	}
	regs, err := c.Registers()
	if err != nil {
		t.Fatal(err)
	}
	if len(regs) != 2 || regs[0].RIP != 0x1be869 {
		t.Errorf("registers %+v", regs)
	}
	_, err = c.Execute("nosuch", nil)
	var qe *Error
	if !errors.As(err, &qe) || qe.Class != "CommandNotFound" {
		t.Errorf("err = %v, want a CommandNotFound *Error", err)
	}
	if _, err := c.HMP("bogus"); err == nil {
		t.Error("HMP accepted an unknown command")
	}
	out, err := c.Batch(Command{Execute: "stop"}, Command{Execute: "nosuch"}, Command{Execute: "cont"})
	if !errors.As(err, &qe) || len(out) != 3 || string(out[2]) != "{}" {
		t.Errorf("Batch = %q, %v; want three replies and the error of the second", out, err)
	}
	// The connection is still in step after the failed batch.
	if _, err := c.Execute("cont", nil); err != nil {
		t.Errorf("after a batch: %v", err)
	}
}

func TestClientClosed(t *testing.T) {
	sock := fakeQEMU(t, func(string, json.RawMessage) string { return `{"return": {}}` })
	c := dialTest(t, sock)
	c.Execute("quit", nil) // the fake QEMU hangs up without replying
	if _, err := c.Execute("stop", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

func TestDialNotQMP(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err == nil {
			conn.Write([]byte("hello\n"))
			conn.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Dial(ctx, sock); err == nil {
		t.Error("Dial accepted a non-QMP server")
	}
}

func TestDialTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Dial(ctx, filepath.Join(t.TempDir(), "none"))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline error", err)
	}
}

func TestMemReader(t *testing.T) {
	dir := t.TempDir()
	sock := fakeQEMU(t, func(cmd string, args json.RawMessage) string {
		if cmd != "memsave" {
			return `{"return": {}}`
		}
		var a struct {
			Val      uint64 `json:"val"`
			Size     int    `json:"size"`
			Filename string `json:"filename"`
			CPU      int    `json:"cpu-index"`
		}
		json.Unmarshal(args, &a)
		if a.Val == 0 {
			return `{"error": {"class": "GenericError", "desc": "Invalid addr 0x0/size 8 specified"}}`
		}
		b := make([]byte, a.Size)
		b[0] = byte(a.Val)
		b[1] = byte(a.CPU)
		os.WriteFile(a.Filename, b, 0o600)
		return `{"return": {}}`
	})
	c := dialTest(t, sock)
	m, err := NewMemReader(c, dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Read(1, 0x42, 16)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 16 || b[0] != 0x42 || b[1] != 1 {
		t.Errorf("read %x", b)
	}
	if _, err := m.Read(0, 0, 8); err == nil {
		t.Error("read of an invalid address succeeded")
	}
	if err := m.Remove(); err != nil {
		t.Error(err)
	}
}
