package bus

// gather reads a message given in two parts (a header and a body) as one
// stream of bytes.
type gather struct{ a, b []byte }

// fill copies the next bytes into dst and returns how many.
func (g *gather) fill(dst []byte) int {
	n := copy(dst, g.a)
	g.a = g.a[n:]
	if n < len(dst) {
		m := copy(dst[n:], g.b)
		g.b = g.b[m:]
		n += m
	}
	return n
}

func (g *gather) left() int { return len(g.a) + len(g.b) }

// scatter writes one stream of bytes into two buffers, the first filled
// first.
type scatter struct{ a, b []byte }

// fill copies src in and returns how many bytes fitted.
func (s *scatter) fill(src []byte) int {
	n := copy(s.a, src)
	s.a = s.a[n:]
	if n < len(src) {
		m := copy(s.b, src[n:])
		s.b = s.b[m:]
		n += m
	}
	return n
}
