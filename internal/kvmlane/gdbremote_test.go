package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeStub is a gdbstub for the client's tests: it reads packets, checks
// their checksums (answering '-' to a bad one) and answers each through
// reply, which returns the raw frames to write (acks, packets, noise).
type fakeStub struct {
	got []string // payloads received, in order
}

func startFakeStub(t *testing.T, reply func(payload string, n int) string) (string, *fakeStub) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "gdb.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	fs := &fakeStub{}
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		for n := 0; ; {
			if _, err := r.ReadString('$'); err != nil {
				return
			}
			body, err := r.ReadString('#')
			if err != nil {
				return
			}
			body = body[:len(body)-1]
			sum := make([]byte, 2)
			if _, err := io.ReadFull(r, sum); err != nil {
				return
			}
			if string(sum) != fmt.Sprintf("%02x", gdbChecksum(body)) {
				io.WriteString(conn, "-")
				continue
			}
			fs.got = append(fs.got, body)
			io.WriteString(conn, reply(body, n))
			n++
			// The client acks each reply packet; read the acks away.
		}
	}()
	return sock, fs
}

// pkt frames a reply and prefixes the ack of the request.
func pkt(payload string) string { return "+" + gdbFrame(payload) }

func dialFake(t *testing.T, sock string) *gdbClient {
	t.Helper()
	g, err := dialGDB(context.Background(), sock, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func TestGDBFrame(t *testing.T) {
	for _, c := range []struct{ payload, want string }{
		{"?", "$?#3f"},
		{"OK", "$OK#9a"},
		{"Hg1", "$Hg1#e0"},
		{"", "$#00"},
		{"m100000,4", "$m100000,4#" + fmt.Sprintf("%02x", gdbChecksum("m100000,4"))},
	} {
		if got := gdbFrame(c.payload); got != c.want {
			t.Errorf("gdbFrame(%q) = %q, want %q", c.payload, got, c.want)
		}
	}
}

func TestGDBDecode(t *testing.T) {
	for _, c := range []struct {
		in, want string
		err      bool
	}{
		{"OK", "OK", false},
		{"0* ", "0000", false},      // '*' ' ' repeats 32-29 = 3 more
		{"ab}]cd", "ab}cd", false},  // '}' then ']'^0x20 = '}'
		{"x}", "", true},            // a dangling escape
		{"*!", "", true},            // nothing to repeat
		{"0*\x1f", "", true},        // count 2: not an encoding
		{"12*\"", "1222222", false}, // '"' = 34: 5 more
	} {
		got, err := gdbDecode(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("gdbDecode(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.err)
		}
	}
}

// TestGDBSession: the calls of a flush against a stub that behaves like
// QEMU's: a stop report sent on its own on attach, memory reads and
// writes, detach.
func TestGDBSession(t *testing.T) {
	mem := map[string]string{"m1000,4": "deadbeef"}
	sock, fs := startFakeStub(t, func(p string, n int) string {
		switch {
		case p == "?":
			// QEMU reports the attach's stop before answering "?".
			return pkt("T05thread:01;") + gdbFrame("T05thread:01;")
		case p == "Hg2":
			return pkt("OK")
		case strings.HasPrefix(p, "m"):
			if v, ok := mem[p]; ok {
				return pkt(v)
			}
			return pkt("E14")
		case strings.HasPrefix(p, "M"):
			return pkt("OK")
		case p == "D":
			return pkt("OK")
		}
		return pkt("")
	})
	g := dialFake(t, sock)
	if r, err := g.stopReason(); err != nil || !isStopReply(r) {
		t.Fatalf("stopReason() = %q, %v", r, err)
	}
	if err := g.selectCPU(1); err != nil {
		t.Fatalf("selectCPU(1): %v", err)
	}
	b, err := g.readMem(0x1000, 4)
	if err != nil || fmt.Sprintf("%x", b) != "deadbeef" {
		t.Fatalf("readMem = %x, %v (stub got %q)", b, err, fs.got)
	}
	if err := g.writeMem(0x1000, b); err != nil {
		t.Fatalf("writeMem: %v", err)
	}
	if _, err := g.readMem(0x2000, 4); !errors.Is(err, errGDB) {
		t.Errorf("readMem of unmapped memory: %v, want a stub error", err)
	}
	if err := g.detach(); err != nil {
		t.Fatalf("detach: %v", err)
	}
	want := []string{"?", "Hg2", "m1000,4", "M1000,4:deadbeef", "m2000,4", "D"}
	if strings.Join(fs.got, " ") != strings.Join(want, " ") {
		t.Errorf("stub got %q, want %q", fs.got, want)
	}
	if _, err := g.readMem(0, gdbChunk+1); err == nil {
		t.Error("a read larger than a packet was sent")
	}
}

// TestGDBRetransmit: a packet the stub refuses ('-') is sent again; a
// reply with a bad checksum is refused and taken when sent again; a stub
// that refuses every time is an error.
func TestGDBRetransmit(t *testing.T) {
	sock, _ := startFakeStub(t, func(p string, n int) string {
		switch n {
		case 0:
			// Refuse the first "Hg1", then accept the second one
			// with a corrupt reply followed by a good one.
			return "-"
		case 1:
			return "+$OK#00" + gdbFrame("OK")
		}
		return "-"
	})
	g := dialFake(t, sock)
	if err := g.selectCPU(0); err != nil {
		t.Fatalf("selectCPU after a refusal and a bad reply: %v", err)
	}
	if err := g.detach(); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("detach to a stub that refuses everything: %v, want refused", err)
	}
}

// TestGDBErrors: an unexpected reply, a garbled ack and a silent stub are
// errors that name the packet.
func TestGDBErrors(t *testing.T) {
	sock, _ := startFakeStub(t, func(p string, n int) string {
		switch p {
		case "Hg1":
			return pkt("E22")
		case "D":
			return pkt("nope")
		case "m0,2":
			return pkt("zz")
		case "?":
			return "x"
		}
		return "" // no reply at all
	})
	g := dialFake(t, sock)
	g.timeout = 300 * time.Millisecond
	if err := g.selectCPU(0); !errors.Is(err, errGDB) || !strings.Contains(err.Error(), "Hg1") {
		t.Errorf("selectCPU: %v, want a stub error naming Hg1", err)
	}
	if err := g.detach(); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("detach: %v, want the odd reply named", err)
	}
	if _, err := g.readMem(0, 2); err == nil || !strings.Contains(err.Error(), "hex") {
		t.Errorf("readMem of a non-hex reply: %v", err)
	}
	if _, err := g.stopReason(); err == nil || !strings.Contains(err.Error(), "acknowledged with") {
		t.Errorf("stopReason with a garbled ack: %v", err)
	}
}
