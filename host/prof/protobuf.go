package prof

// protoBuf appends protocol buffer fields (varint and length-delimited
// wire types) to a byte slice: what the pprof profile format needs, no
// more. Field numbers are the profile.proto message's.
type protoBuf struct{ b []byte }

func (p *protoBuf) varint(v uint64) {
	for v >= 0x80 {
		p.b = append(p.b, byte(v)|0x80)
		v >>= 7
	}
	p.b = append(p.b, byte(v))
}

func (p *protoBuf) key(field, wire int) { p.varint(uint64(field)<<3 | uint64(wire)) }

// int64 writes a varint field, left out when it is 0 (proto3's default).
func (p *protoBuf) int64(field int, v int64) {
	if v != 0 {
		p.key(field, 0)
		p.varint(uint64(v))
	}
}

func (p *protoBuf) uint64(field int, v uint64) { p.int64(field, int64(v)) }

func (p *protoBuf) bool(field int, v bool) {
	if v {
		p.int64(field, 1)
	}
}

func (p *protoBuf) bytes(field int, b []byte) {
	p.key(field, 2)
	p.varint(uint64(len(b)))
	p.b = append(p.b, b...)
}

// packed writes a repeated integer field in packed form.
func (p *protoBuf) packed(field int, vs []int64) {
	if len(vs) == 0 {
		return
	}
	var q protoBuf
	for _, v := range vs {
		q.varint(uint64(v))
	}
	p.bytes(field, q.b)
}

// message writes the message that fill encodes as field.
func (p *protoBuf) message(field int, fill func(*protoBuf)) {
	var q protoBuf
	fill(&q)
	p.bytes(field, q.b)
}
