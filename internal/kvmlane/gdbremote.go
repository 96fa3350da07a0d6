package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// A small client of the GDB remote serial protocol, enough to talk to
// the gdbstub of L1's QEMU (L0): select a vCPU, read and write guest
// memory, detach. The lane uses it to make L0 drop translated code
// (flush.go); it is not a debugger.
//
// Packets are "$payload#cc", cc the payload's byte sum mod 256 in hex;
// each side acknowledges a packet with '+' (or asks for it again with
// '-'). Replies may escape bytes with '}' (the byte XOR 0x20) and repeat
// the previous byte with '*' and a count (run-length encoding).

// gdbClient is one connection to a gdbstub.
type gdbClient struct {
	conn    net.Conn
	r       *bufio.Reader
	timeout time.Duration // bound on each packet's round trip
}

// gdbMaxTries bounds how often a packet is sent again after a '-'.
const gdbMaxTries = 3

// dialGDB connects to the gdbstub listening on the unix socket path.
func dialGDB(ctx context.Context, path string, timeout time.Duration) (*gdbClient, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("gdbstub %s: %w", path, err)
	}
	return &gdbClient{conn: conn, r: bufio.NewReaderSize(conn, 8192), timeout: timeout}, nil
}

func (g *gdbClient) Close() error { return g.conn.Close() }

// gdbChecksum is the protocol's checksum of a payload.
func gdbChecksum(payload string) byte {
	var s byte
	for i := 0; i < len(payload); i++ {
		s += payload[i]
	}
	return s
}

// gdbFrame frames a payload as a packet. Payloads the lane sends are hex,
// digits and ASCII letters: nothing to escape.
func gdbFrame(payload string) string {
	return fmt.Sprintf("$%s#%02x", payload, gdbChecksum(payload))
}

// send writes one packet and waits for its acknowledgement, sending it
// again on a '-'.
func (g *gdbClient) send(payload string) error {
	g.conn.SetDeadline(time.Now().Add(g.timeout))
	frame := gdbFrame(payload)
	for try := 1; ; try++ {
		if _, err := io.WriteString(g.conn, frame); err != nil {
			return fmt.Errorf("gdbstub: sending %q: %w", short(payload), err)
		}
		ack, err := g.ack(payload)
		if err != nil {
			return err
		}
		if ack == '+' {
			return nil
		}
		if try == gdbMaxTries {
			return fmt.Errorf("gdbstub: %q refused %d times (bad checksum?)", short(payload), try)
		}
	}
}

// ack reads the acknowledgement of payload: '+' or '-'. A packet the stub
// sent on its own before it (QEMU reports the stop it makes when a
// debugger attaches to a running machine) is taken and passed over.
func (g *gdbClient) ack(payload string) (byte, error) {
	for {
		ack, err := g.r.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("gdbstub: no acknowledgement of %q: %w", short(payload), err)
		}
		switch ack {
		case '+', '-':
			return ack, nil
		case '$':
			g.r.UnreadByte()
			if _, err := g.recv(); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("gdbstub: %q acknowledged with %q, want '+' or '-'", short(payload), ack)
		}
	}
}

// recv reads one packet, acknowledges it and returns its decoded payload.
// A packet whose checksum does not match is refused ('-') and read again.
func (g *gdbClient) recv() (string, error) {
	g.conn.SetDeadline(time.Now().Add(g.timeout))
	for try := 1; ; try++ {
		// Skip anything before the packet's start (stray acks).
		if _, err := g.r.ReadString('$'); err != nil {
			return "", fmt.Errorf("gdbstub: reading a reply: %w", err)
		}
		body, err := g.r.ReadString('#')
		if err != nil {
			return "", fmt.Errorf("gdbstub: reading a reply: %w", err)
		}
		body = body[:len(body)-1]
		var sum [2]byte
		if _, err := io.ReadFull(g.r, sum[:]); err != nil {
			return "", fmt.Errorf("gdbstub: reading a reply's checksum: %w", err)
		}
		want, err := hex.DecodeString(string(sum[:]))
		if err == nil && want[0] == gdbChecksum(body) {
			if _, err := io.WriteString(g.conn, "+"); err != nil {
				return "", fmt.Errorf("gdbstub: acknowledging a reply: %w", err)
			}
			return gdbDecode(body)
		}
		if try == gdbMaxTries {
			return "", fmt.Errorf("gdbstub: reply %q has a bad checksum %q %d times", short(body), sum[:], try)
		}
		if _, err := io.WriteString(g.conn, "-"); err != nil {
			return "", fmt.Errorf("gdbstub: refusing a reply: %w", err)
		}
	}
}

// gdbDecode undoes the escapes and run-length encoding of a reply.
func gdbDecode(body string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '}':
			if i+1 >= len(body) {
				return "", fmt.Errorf("gdbstub: reply %q ends in an escape", short(body))
			}
			i++
			b.WriteByte(body[i] ^ 0x20)
		case '*':
			if i+1 >= len(body) || b.Len() == 0 {
				return "", fmt.Errorf("gdbstub: reply %q has a bad repeat", short(body))
			}
			i++
			n := int(body[i]) - 29 // the count's encoding
			if n < 3 {
				return "", fmt.Errorf("gdbstub: reply %q has a bad repeat count", short(body))
			}
			s := b.String()
			b.WriteString(strings.Repeat(s[len(s)-1:], n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// errGDB is a gdbstub's error reply ("Enn").
var errGDB = errors.New("gdbstub error")

// command sends a packet and returns the reply; an "Enn" reply is an error
// wrapping errGDB.
func (g *gdbClient) command(payload string) (string, error) {
	if err := g.send(payload); err != nil {
		return "", err
	}
	reply, err := g.recv()
	// A stop report the stub sent on its own (QEMU's, when a debugger
	// attaches to a running machine) may come before the reply; "?" is
	// answered with one.
	for skipped := 0; err == nil && payload != "?" && isStopReply(reply) && skipped < 2; skipped++ {
		reply, err = g.recv()
	}
	if err != nil {
		return "", err
	}
	if len(reply) == 3 && reply[0] == 'E' {
		return "", fmt.Errorf("%w %s to %q", errGDB, reply, short(payload))
	}
	return reply, nil
}

// isStopReply reports whether reply is a stop report ("T05thread:01;",
// "S05").
func isStopReply(reply string) bool {
	if len(reply) < 3 || (reply[0] != 'T' && reply[0] != 'S') {
		return false
	}
	_, err := hex.DecodeString(reply[1:3])
	return err == nil
}

// expectOK sends a command whose only good reply is "OK".
func (g *gdbClient) expectOK(payload string) error {
	reply, err := g.command(payload)
	if err != nil {
		return err
	}
	if reply != "OK" {
		return fmt.Errorf("gdbstub: %q answered %q, want OK", short(payload), short(reply))
	}
	return nil
}

// stopReason asks why the target stopped ("?"): the stub stops the
// machine when a debugger connects, and this also checks that it talks.
func (g *gdbClient) stopReason() (string, error) { return g.command("?") }

// selectCPU makes the vCPU with QEMU's index cpu (threads count from 1)
// the one whose address space memory accesses use.
func (g *gdbClient) selectCPU(cpu int) error { return g.expectOK(fmt.Sprintf("Hg%x", cpu+1)) }

// readMem reads n bytes (at most gdbChunk) of guest memory at the virtual address addr.
func (g *gdbClient) readMem(addr uint64, n int) ([]byte, error) {
	if n > gdbChunk {
		return nil, fmt.Errorf("gdbstub: reading %d bytes at once, more than a packet holds (%d)", n, gdbChunk)
	}
	reply, err := g.command(fmt.Sprintf("m%x,%x", addr, n))
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(reply)
	if err != nil || len(b) != n {
		return nil, fmt.Errorf("gdbstub: reading %d bytes at %#x: reply %q is not %d hex bytes", n, addr, short(reply), n)
	}
	return b, nil
}

// writeMem writes data (at most gdbChunk bytes) to guest memory at the virtual address addr.
func (g *gdbClient) writeMem(addr uint64, data []byte) error {
	if len(data) > gdbChunk {
		return fmt.Errorf("gdbstub: writing %d bytes at once, more than a packet holds (%d)", len(data), gdbChunk)
	}
	return g.expectOK(fmt.Sprintf("M%x,%x:%s", addr, len(data), hex.EncodeToString(data)))
}

// detach ends the session; QEMU's stub lets the machine run again.
func (g *gdbClient) detach() error { return g.expectOK("D") }

// short shortens a packet for an error message.
func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
