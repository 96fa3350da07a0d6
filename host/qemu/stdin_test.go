package qemu

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gotoro/gotoro/internal/bootabi"
)

func TestCopyStdin(t *testing.T) {
	const esc, eof = bootabi.StdinEscape, bootabi.StdinEOF
	for _, c := range []struct {
		in   io.Reader
		want []byte
	}{
		{strings.NewReader(""), []byte{esc, eof}},
		{strings.NewReader("hi\n"), []byte{'h', 'i', '\n', esc, eof}},
		{bytes.NewReader([]byte{0, 'a', 0, 0}), []byte{esc, esc, 'a', esc, esc, esc, esc, esc, eof}},
		{iotest.OneByteReader(strings.NewReader("ab")), []byte{'a', 'b', esc, eof}},
		// A read error ends the input too.
		{iotest.ErrReader(errors.New("gone")), []byte{esc, eof}},
	} {
		var out bytes.Buffer
		if err := copyStdin(&out, c.in); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), c.want) {
			t.Errorf("got %q, want %q", out.Bytes(), c.want)
		}
	}
}

func TestStdinDevice(t *testing.T) {
	d := StdinDevice(strings.NewReader(""))
	args := strings.Join(d.Args, " ")
	if !strings.Contains(args, "isa-serial,chardev=stdin0,iobase=0x2f8,irq=3") || !d.NotVirtio || d.Cmdline != " stdin=serial" {
		t.Errorf("device %+v", d)
	}
	cfg, _ := Config{Image: "x", Devices: []Device{d}}.withDefaults()
	if n := virtioDevices(cfg); n != 0 {
		t.Errorf("the standard-input UART took %d virtio transports", n)
	}
}
