package qemu

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/internal/bootabi"
)

const mk = bootabi.ExitMarker

func TestMarkerFirstByteIsUnique(t *testing.T) {
	// step restarts a failed match only at the failing byte, which is
	// correct only if the marker's first byte does not recur in it.
	if strings.IndexByte(mk[1:], mk[0]) >= 0 {
		t.Fatalf("ExitMarker %q repeats its first byte: markerWriter needs a real KMP matcher", mk)
	}
}

func TestMarkerWriter(t *testing.T) {
	for _, c := range []struct {
		name, in, out string
		status        int
		found         bool
	}{
		{"plain", "hello\nworld\n", "hello\nworld\n", 0, false},
		{"marker", "bye\n" + mk + "200\n", "bye\n", 200, true},
		{"marker mid-line", "no newline" + mk + "255\n", "no newline", 255, true},
		{"text after", mk + "130\nafter\n", "after\n", 130, true},
		{"last wins", mk + "130\n" + mk + "131\n", "", 131, true},
		{"partial marker", "a\x00gotoro-ex\n", "a\x00gotoro-ex\n", 0, false},
		{"marker without digits", mk + "\n", mk + "\n", 0, false},
		{"marker with junk", mk + "12x\n", mk + "12x\n", 0, false},
		{"too many digits", mk + strings.Repeat("1", 21) + "\n", mk + strings.Repeat("1", 21) + "\n", 0, false},
		{"nul bytes", "\x00\x00a\x00", "\x00\x00a\x00", 0, false},
		{"restart on nul", "\x00gotoro" + mk + "7\n", "\x00gotoro", 7, true},
		{"unterminated at end", "x" + mk + "12", "x" + mk + "12", 0, false},
	} {
		// Every way of splitting the input in two, plus byte by byte.
		splits := [][]string{}
		for i := 0; i <= len(c.in); i++ {
			splits = append(splits, []string{c.in[:i], c.in[i:]})
		}
		splits = append(splits, strings.Split(c.in, ""))
		for _, parts := range splits {
			var buf bytes.Buffer
			m := newMarkerWriter(&buf)
			for _, p := range parts {
				if n, err := m.Write([]byte(p)); n != len(p) || err != nil {
					t.Fatalf("%s: Write = %d, %v", c.name, n, err)
				}
			}
			if err := m.Flush(); err != nil {
				t.Fatal(err)
			}
			st, found := m.Status()
			if buf.String() != c.out || st != c.status || found != c.found {
				t.Errorf("%s, parts %q: got %q, %d, %v; want %q, %d, %v", c.name, parts, buf.String(), st, found, c.out, c.status, c.found)
				break
			}
		}
	}
}

func TestMarkerWriterStreams(t *testing.T) {
	// Bytes that cannot start a marker must be written at once.
	var buf bytes.Buffer
	m := newMarkerWriter(&buf)
	m.Write([]byte("prompt> "))
	if buf.String() != "prompt> " {
		t.Errorf("held back %q", "prompt> ")
	}
	m.Write([]byte("x\x00got"))
	if buf.String() != "prompt> x" {
		t.Errorf("got %q, want the marker prefix held back", buf.String())
	}
	if m.First().IsZero() {
		t.Errorf("first byte time not recorded")
	}
}
