// Package vectorwork is the deterministic vector-heavy workload of the
// vector boot tests: memmove, bytes.IndexByte and friends, sha256, AES-GCM
// and float64 math, each result folded into a per-worker digest. The
// guest program (internal/boottest/testdata/vector) runs it on many
// threads under interrupts and signals; the tests compute the same
// digests natively on the host and compare.
package vectorwork

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
)

// Buffer sizes of a worker (odd, so that copies start and end unaligned).
const (
	srcSize = 256<<10 + 13
	dstSize = 256<<10 + 29
)

// Seed returns worker w's generator.
func Seed(w int) RNG { return RNG(uint64(w+1) * 0x9E3779B97F4A7C15) }

// Worker runs rounds rounds of worker w and returns its digest. After
// each round it takes one value from the generator and passes it to
// between (nil: nothing), which the guest uses to hold patterns in the
// vector registers.
func Worker(w, rounds int, between func(seed uint64)) *Digest {
	r := Seed(w)
	src, dst := make([]byte, srcSize), make([]byte, dstSize)
	d := &Digest{}
	for i := 0; i < rounds; i++ {
		Round(w, i, &r, d, src, dst)
		seed := r.Next()
		if between != nil {
			between(seed)
		}
	}
	d.Flush()
	return d
}

// Hex is the digest as the guest prints it (the first 12 bytes).
func (d *Digest) Hex() string { return hex.EncodeToString(d.Sum[:12]) }

// Digests computes every worker's digest here, one after the other.
func Digests(workers, rounds int) []string {
	var out []string
	for w := 0; w < workers; w++ {
		out = append(out, Worker(w, rounds, nil).Hex())
	}
	return out
}

// RNG is a small deterministic generator (xorshift64*), the same natively
// and in the guest.
type RNG uint64

// Next returns the next value.
func (r *RNG) Next() uint64 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = RNG(x)
	return x * 2685821657736338717
}

func (r *RNG) intn(n int) int { return int(r.Next() % uint64(n)) }

// Fill fills b with the next values.
func (r *RNG) Fill(b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Next())
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(r.Next())
	}
}

// Round does one round of vector-heavy work and feeds every result to h;
// w and rn name the worker and the round for tracing.
func Round(w, rn int, r *RNG, h *Digest, src, dst []byte) {
	// memmove: sizes from a few bytes to the whole buffer, odd offsets,
	// both directions of overlap.
	r.Fill(src)
	for i := 0; i < 8; i++ {
		n := 1 + r.intn(len(src)/2)
		if i%4 == 0 {
			n = 1 + r.intn(300)
		}
		so, do := r.intn(len(src)-n), r.intn(len(dst)-n)
		copy(dst[do:do+n], src[so:so+n])
		h.bytes(dst[do : do+n])
		ov := r.intn(64) + 1
		if so+ov+n <= len(src) {
			copy(src[so+ov:so+ov+n], src[so:so+n]) // forward overlap
		}
		if so >= ov {
			copy(src[so-ov:so-ov+n], src[so:so+n]) // backward overlap
		}
	}
	h.bytes(src)
	h.mark(w, rn, "memmove")
	// bytes.IndexByte and friends: a byte absent from the data, planted
	// at a known place.
	for i := range dst {
		dst[i] = byte(i*7) | 1
	}
	for i := 0; i < 8; i++ {
		from := r.intn(len(dst) / 2)
		at := from + r.intn(len(dst)-from)
		dst[at] = 0
		got := bytes.IndexByte(dst[from:], 0)
		h.int(got)
		if got != at-from {
			h.fail("IndexByte")
		}
		h.int(bytes.Count(dst[from:], []byte{0}))
		h.int(bytes.Index(dst[from:], []byte{0, byte((at+1)*7) | 1}))
		h.bool(bytes.Equal(dst[:at], dst[:at]))
		dst[at] = byte(at*7) | 1
	}
	h.mark(w, rn, "index")
	// sha256 of varied lengths.
	for i := 0; i < 4; i++ {
		n := r.intn(len(src))
		s := sha256.Sum256(src[:n])
		h.bytes(s[:])
	}
	h.mark(w, rn, "sha")
	// AES-GCM: seal, then open and compare.
	var key [32]byte
	var nonce [12]byte
	r.Fill(key[:])
	r.Fill(nonce[:])
	blk, _ := aes.NewCipher(key[:])
	gcm, _ := cipher.NewGCM(blk)
	n := 1 + r.intn(len(src)/4)
	sealed := gcm.Seal(dst[:0], nonce[:], src[:n], nil)
	h.bytes(sealed)
	opened, err := gcm.Open(nil, nonce[:], sealed, nil)
	if err != nil || !bytes.Equal(opened, src[:n]) {
		h.fail("AES-GCM")
	}
	h.mark(w, rn, "gcm")
	// float64 vector math.
	const m = 2048
	a, b := make([]float64, m), make([]float64, m)
	for i := range a {
		a[i] = float64(r.Next()>>11) / (1 << 53)
		b[i] = float64(r.Next()>>11)/(1<<53) - 0.5
	}
	var dot, fma, norm float64
	for i := range a {
		dot += a[i] * b[i]
		fma = math.FMA(a[i], b[i], fma)
		a[i] = math.Sqrt(a[i]) + 0.5*b[i]
		norm += a[i] * a[i]
	}
	h.float(dot)
	h.float(fma)
	h.float(math.Sqrt(norm))
	h.mark(w, rn, "float")
}

// Digest accumulates a worker's results.
type Digest struct {
	Sum    [32]byte // the digest so far (after Flush)
	buf    []byte
	Failed string // the first self-check that failed, if any
}

// Trace prints each worker's digest after every part of every round
// (VECTOR_TRACE in the environment): comparing a guest's trace with a
// native one finds the first wrong result.
var Trace = os.Getenv("VECTOR_TRACE") != ""

func (d *Digest) mark(w, r int, what string) {
	if Trace {
		d.Flush()
		fmt.Printf("T w%d r%d %s %x\n", w, r, what, d.Sum[:6])
	}
}

func (d *Digest) bytes(b []byte) {
	d.buf = append(d.buf, b...)
	if len(d.buf) > 1<<16 {
		d.Flush()
	}
}

// Flush folds the buffered results into Sum.
func (d *Digest) Flush() {
	d.buf = append(d.buf, d.Sum[:]...)
	d.Sum = sha256.Sum256(d.buf)
	d.buf = d.buf[:0]
}

func (d *Digest) int(v int) { d.buf = binary.LittleEndian.AppendUint64(d.buf, uint64(v)) }

func (d *Digest) float(v float64) { d.int(int(math.Float64bits(v))) }

func (d *Digest) bool(v bool) {
	if v {
		d.int(1)
	} else {
		d.int(0)
	}
}

func (d *Digest) fail(what string) {
	if d.Failed == "" {
		d.Failed = what
	}
}
