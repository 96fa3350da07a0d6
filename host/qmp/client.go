package qmp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// Client is a connection to one QEMU monitor. Its methods may be called
// from several goroutines; commands are serialized.
type Client struct {
	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
	// Version is QEMU's version from the greeting, e.g. "7.2.0".
	Version string
}

// Error is an error reply from QEMU.
type Error struct {
	Command string
	Class   string
	Desc    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("qmp %s: %s: %s", e.Command, e.Class, e.Desc)
}

// ErrClosed is wrapped by the errors of commands sent after QEMU closed the
// monitor (typically because the guest exited).
var ErrClosed = errors.New("QEMU closed the monitor connection")

// Dial connects to the QMP socket at path and negotiates capabilities. It
// retries until ctx ends while the socket does not exist yet or refuses
// connections, so it can be called right after starting QEMU.
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "unix", path)
		if err == nil {
			c, err := handshake(conn)
			if err != nil {
				conn.Close()
				return nil, fmt.Errorf("qmp %s: %w", path, err)
			}
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connecting to the QEMU monitor %s: %w (%v)", path, ctx.Err(), err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Open negotiates capabilities over conn, a connection to a monitor QEMU
// already serves (one end of a socket pair whose other end QEMU got as its
// monitor's descriptor), and returns the client, which owns conn. It
// waits for the greeting until ctx ends.
func Open(ctx context.Context, conn net.Conn) (*Client, error) {
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	c, err := handshake(conn)
	// stop is false when ctx ended and the deadline may be in the past.
	if !stop() && err == nil {
		err = errors.New("the context ended")
	}
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("qmp: %w (%v)", ctx.Err(), err)
		}
		return nil, fmt.Errorf("qmp: %w", err)
	}
	conn.SetDeadline(time.Time{})
	return c, nil
}

// handshake reads the greeting and enters command mode.
func handshake(conn net.Conn) (*Client, error) {
	c := &Client{conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}
	var greet struct {
		QMP *struct {
			Version struct {
				QEMU struct{ Major, Minor, Micro int } `json:"qemu"`
			} `json:"version"`
		} `json:"QMP"`
	}
	line, err := c.readLine()
	if err != nil {
		return nil, fmt.Errorf("reading the greeting: %w", err)
	}
	if err := json.Unmarshal(line, &greet); err != nil || greet.QMP == nil {
		return nil, fmt.Errorf("not a QMP greeting: %.80q", line)
	}
	v := greet.QMP.Version.QEMU
	c.Version = fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Micro)
	if _, err := c.Execute("qmp_capabilities", nil); err != nil {
		return nil, err
	}
	return c, nil
}

// Close closes the connection; QEMU keeps running.
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) readLine() ([]byte, error) {
	line, err := c.r.ReadBytes('\n')
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, err
		}
		if len(line) == 0 || errors.Is(err, net.ErrClosed) {
			return nil, fmt.Errorf("%w (%v)", ErrClosed, err)
		}
		return nil, err
	}
	return line, nil
}

// Execute runs command with args (nil for none) and returns the "return"
// value of the reply. A QEMU error reply is an *Error.
func (c *Client) Execute(command string, args any) (json.RawMessage, error) {
	req := struct {
		Execute   string `json:"execute"`
		Arguments any    `json:"arguments,omitempty"`
	}{command, args}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("qmp %s: %w", command, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qmp %s: %w (%v)", command, ErrClosed, err)
	}
	return c.reply(command)
}

// reply reads the reply to command, skipping events. c.mu must be held.
func (c *Client) reply(command string) (json.RawMessage, error) {
	for {
		line, err := c.readLine()
		if err != nil {
			return nil, fmt.Errorf("qmp %s: %w", command, err)
		}
		var rep struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Class string `json:"class"`
				Desc  string `json:"desc"`
			} `json:"error"`
			Event string `json:"event"`
		}
		if err := json.Unmarshal(line, &rep); err != nil {
			return nil, fmt.Errorf("qmp %s: bad reply %.80q: %w", command, line, err)
		}
		switch {
		case rep.Event != "":
			continue // asynchronous events are not replies
		case rep.Error != nil:
			return nil, &Error{Command: command, Class: rep.Error.Class, Desc: rep.Error.Desc}
		case rep.Return != nil:
			return rep.Return, nil
		}
		return nil, fmt.Errorf("qmp %s: reply without return or error: %.80q", command, line)
	}
}

// HMP runs a human-monitor command line (e.g. "info registers -a") and
// returns its text output.
func (c *Client) HMP(cmdline string) (string, error) {
	raw, err := c.Execute("human-monitor-command", map[string]string{"command-line": cmdline})
	if err != nil {
		return "", err
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("hmp %q: %w", cmdline, err)
	}
	if strings.HasPrefix(out, "unknown command") || strings.HasPrefix(out, "Error:") {
		return "", fmt.Errorf("hmp %q: %s", cmdline, strings.TrimSpace(out))
	}
	return out, nil
}

// Command is one QMP command for Batch.
type Command struct {
	Execute   string `json:"execute"`
	Arguments any    `json:"arguments,omitempty"`
}

// Batch sends cmds in one write and then reads their replies, in order;
// QEMU runs them one after the other. It saves a round trip per command
// over Execute. The result holds the return value of each command; the
// first error reply is returned as an *Error after all replies are read.
func (c *Client) Batch(cmds ...Command) ([]json.RawMessage, error) {
	var buf []byte
	for _, cmd := range cmds {
		b, err := json.Marshal(cmd)
		if err != nil {
			return nil, fmt.Errorf("qmp %s: %w", cmd.Execute, err)
		}
		buf = append(append(buf, b...), '\n')
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.conn.Write(buf); err != nil {
		return nil, fmt.Errorf("qmp %s: %w (%v)", cmds[0].Execute, ErrClosed, err)
	}
	out := make([]json.RawMessage, len(cmds))
	var first error
	for i, cmd := range cmds {
		ret, err := c.reply(cmd.Execute)
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				return nil, err // the connection is unusable
			}
			if first == nil {
				first = err
			}
		}
		out[i] = ret
	}
	return out, first
}
