// Command imagedata checks that the image's data reached guest memory
// intact and that writing it stays private to this guest: a table of
// initialized data (table_gen.go, from gen.go) and a read-only string
// hold what word and char compute, and a zero-initialized array reads
// zero. It then writes the table and the array, says "ready", waits for
// the end of its standard input (another guest of the same image may
// start meanwhile and must see the image's bytes, not these) and checks
// its writes are still there. Exit status 1 and a message on any
// mismatch.
package main

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

//go:generate go run gen.go

const tableLen = 4096

// zeros is zero-initialized data, a page apart per byte checked.
var zeros [256 << 10]byte

// word is table's i-th entry.
func word(i int) uint32 {
	x := uint32(i)*2654435761 + 1
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	return x
}

// char is text's i-th byte.
func char(i int) byte { return byte(' ' + word(i+7)%95) }

func fail(format string, args ...any) {
	fmt.Printf("imagedata: "+format+"\n", args...)
	os.Exit(1)
}

// check compares table with want(i) and zeros with z.
func check(when string, want func(int) uint32, z byte) {
	for i, v := range table {
		if w := want(i); v != w {
			fail("%s: table[%d] = %#x, want %#x", when, i, v, w)
		}
	}
	for i, c := range zeros {
		if c != z {
			fail("%s: zeros[%d] = %d, want %d", when, i, c, z)
		}
	}
}

func main() {
	check("at start", word, 0)
	if got := crc32.ChecksumIEEE([]byte(text)); got != textCRC {
		fail("text's CRC-32 %#x, want %#x", got, textCRC)
	}
	for i := range len(text) {
		if text[i] != char(i) {
			fail("text[%d] = %q, want %q", i, text[i], char(i))
		}
	}
	inverted := func(i int) uint32 { return ^word(i) }
	for i := range table {
		table[i] = inverted(i)
	}
	for i := range zeros {
		zeros[i] = 0xa5
	}
	fmt.Println("ready")
	io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	check("after the wait", inverted, 0xa5)
	fmt.Printf("imagedata: %d words, %d bytes of text, %d zero bytes intact\n", len(table), len(text), len(zeros))
}
