// Command vecbench times the standard library's vector code paths that
// the Go runtime picks by CPU feature (SSE2, AVX2): memmove, bytes.IndexByte
// and bytes.Equal, sha256 and AES-GCM. It prints one "name value unit" line
// per measurement (MB/s of input processed) and the features the runtime
// sees. `gotoro bench vector` runs it natively and in the guest with and
// without AVX and prints the ratios.
package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/cpu"
)

// minTime is how long each measurement runs at least.
var minTime = 200 * time.Millisecond

var sink int

// measure runs op (which processes n bytes) until minTime has passed and
// returns MB/s, the best of three such runs.
func measure(n int, op func()) float64 {
	best := 0.0
	for r := 0; r < 3; r++ {
		iters := 0
		start := time.Now()
		var el time.Duration
		for {
			for i := 0; i < 16; i++ {
				op()
			}
			iters += 16
			if el = time.Since(start); el >= minTime/3 {
				break
			}
		}
		if mbs := float64(iters) * float64(n) / el.Seconds() / 1e6; mbs > best {
			best = mbs
		}
	}
	return best
}

func main() {
	if len(os.Args) > 1 {
		if d, err := time.ParseDuration(os.Args[1]); err == nil {
			minTime = d
		}
	}
	x := cpu.X86
	fmt.Printf("# features avx=%v avx2=%v avx512f=%v\n", x.HasAVX, x.HasAVX2, x.HasAVX512F)
	src := make([]byte, 1<<20+64)
	dst := make([]byte, 1<<20+64)
	for i := range src {
		src[i] = byte(i*7) | 1
	}
	for _, n := range []int{64, 4 << 10, 1 << 20} {
		fmt.Printf("memmove/%s %.1f MB/s\n", size(n), measure(n, func() { copy(dst[1:1+n], src[3:3+n]) }))
	}
	for _, n := range []int{64, 4 << 10, 1 << 20} {
		buf := src[:n]
		fmt.Printf("indexbyte/%s %.1f MB/s\n", size(n), measure(n, func() { sink += bytes.IndexByte(buf, 0) }))
	}
	copy(dst, src)
	for _, n := range []int{4 << 10, 1 << 20} {
		a, b := src[:n], dst[:n]
		fmt.Printf("equal/%s %.1f MB/s\n", size(n), measure(n, func() {
			if bytes.Equal(a, b) {
				sink++
			}
		}))
	}
	for _, n := range []int{64, 8 << 10} {
		buf := src[:n]
		fmt.Printf("sha256/%s %.1f MB/s\n", size(n), measure(n, func() {
			s := sha256.Sum256(buf)
			sink += int(s[0])
		}))
	}
	blk, _ := aes.NewCipher(make([]byte, 32))
	gcm, _ := cipher.NewGCM(blk)
	nonce := make([]byte, 12)
	out := make([]byte, 0, 8<<10+16)
	fmt.Printf("aesgcm/8KiB %.1f MB/s\n", measure(8<<10, func() { out = gcm.Seal(out[:0], nonce, src[:8<<10], nil) }))
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
