// Package qmptest serves a fake QEMU monitor (QMP) on a Unix socket, for
// the tests of code that talks to QEMU through package qmp.
package qmptest

import (
	"bufio"
	"encoding/json"
	"net"
	"path/filepath"
	"testing"
)

// Greeting is the banner a fake monitor sends first, as QEMU 7.2 does.
const Greeting = `{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}`

// Request is one command a client sent.
type Request struct {
	Execute   string          `json:"execute"`
	Arguments json.RawMessage `json:"arguments"`
}

// HMP returns the command line of a human-monitor-command request, or ""
// for any other command.
func (r Request) HMP() string {
	if r.Execute != "human-monitor-command" {
		return ""
	}
	var a struct {
		CommandLine string `json:"command-line"`
	}
	json.Unmarshal(r.Arguments, &a)
	return a.CommandLine
}

// Return is the reply {"return": v}.
func Return(v any) string {
	b, err := json.Marshal(map[string]any{"return": v})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Serve listens on a Unix socket in t's temporary directory and serves
// its first client: the Greeting, then for each command line the lines
// reply returns for it (one or more JSON messages separated by "\r\n",
// events before the reply). A line that is not JSON is answered with a
// GenericError; a reply of "" closes the connection (as "quit" does).
// It returns the socket's path; the listener closes when t ends.
func Serve(t testing.TB, reply func(Request) string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		w := bufio.NewWriter(conn)
		w.WriteString(Greeting + "\r\n")
		w.Flush()
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			var req Request
			out := `{"error": {"class": "GenericError", "desc": "JSON parse error"}}`
			if json.Unmarshal(sc.Bytes(), &req) == nil {
				if out = reply(req); out == "" {
					return
				}
			}
			w.WriteString(out + "\r\n")
			w.Flush()
		}
	}()
	return sock
}
