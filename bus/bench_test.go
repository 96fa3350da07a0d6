package bus

import (
	"testing"

	"github.com/gotoro/gotoro"
)

// BenchmarkPingPong reports the round trip of a message between endpoints
// on cores 0 and 1 (ns/op is one round trip).
func BenchmarkPingPong(b *testing.B) {
	for _, size := range []int{0, 64, 4096} {
		b.Run(sizeName(size), func(b *testing.B) {
			if gotoro.Cores() < 2 {
				b.Skip("needs two cores")
			}
			bus, err := New(2, Options{})
			if err != nil {
				b.Fatal(err)
			}
			n := b.N
			b.ResetTimer()
			onCores(func() {
				e, buf := bus.Endpoint(0), make([]byte, size)
				for i := 0; i < n; i++ {
					e.SendTo(1, buf)
					e.RecvFrom(1, buf)
				}
			}, func() {
				e, buf := bus.Endpoint(1), make([]byte, size)
				for i := 0; i < n; i++ {
					e.RecvFrom(0, buf)
					e.SendTo(0, buf)
				}
			})
		})
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<10:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
