package qemu

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// testSeg is one PT_LOAD of a test image.
type testSeg struct {
	paddr uint64
	data  []byte
	memsz uint64 // len(data) if 0
}

// testEntry is the PVH entry of test images.
const testEntry = 0x100040

// segmentedImage returns an x86-64 ELF image with a PVH note (entry
// testEntry) and segs, their data in file order after the headers.
func segmentedImage(segs []testSeg) []byte {
	le := binary.LittleEndian
	nph := 1 + len(segs)
	var note []byte
	note = le.AppendUint32(note, 4)
	note = le.AppendUint32(note, 8)
	note = le.AppendUint32(note, xenElfnotePhys32Entry)
	note = append(note, "Xen\x00"...)
	note = le.AppendUint64(note, testEntry)
	noteOff := uint64(64 + 56*nph)
	off := (noteOff + uint64(len(note)) + 4095) &^ 4095
	var phdrs bytes.Buffer
	binary.Write(&phdrs, le, elf.Prog64{Type: uint32(elf.PT_NOTE), Flags: uint32(elf.PF_R), Off: noteOff, Filesz: uint64(len(note)), Memsz: uint64(len(note)), Align: 4})
	var body bytes.Buffer
	for _, s := range segs {
		off += (s.paddr - off) % 4096 // congruent modulo the page
		memsz := s.memsz
		if memsz == 0 {
			memsz = uint64(len(s.data))
		}
		binary.Write(&phdrs, le, elf.Prog64{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R), Off: off, Vaddr: s.paddr, Paddr: s.paddr, Filesz: uint64(len(s.data)), Memsz: memsz, Align: 4096})
		for uint64(body.Len()) < off {
			body.WriteByte(0)
		}
		body.Write(s.data)
		off += uint64(len(s.data))
	}
	hdr := elf.Header64{Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT), Entry: testEntry, Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: uint16(nph)}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	var b bytes.Buffer
	binary.Write(&b, le, hdr)
	b.Write(phdrs.Bytes())
	b.Write(note)
	img := b.Bytes()
	body.Next(len(img)) // the headers' place in the body
	return append(img, body.Bytes()...)
}

// randomBytes returns n reproducible bytes of seed.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32() | 1) // no zero pages
	}
	return b
}

// testSegs is a test image's segments: text, rodata after a gap, data
// with zero-initialized memory after its bytes.
func testSegs(seed uint64) []testSeg {
	return []testSeg{
		{paddr: 0x100000, data: randomBytes(0x5123, seed)},
		{paddr: 0x109000, data: randomBytes(0x3000, seed+1)},
		{paddr: 0x20c000, data: randomBytes(0x1800, seed+2), memsz: 0x9000},
	}
}

// writeImage writes img to a new file in dir.
func writeImage(t *testing.T, dir, name string, img []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkLayout checks that the file at path holds segs at their addresses,
// zeros elsewhere (as holes: no data outside the segments' pages), and is
// size bytes long.
func checkLayout(t *testing.T, f *os.File, segs []testSeg, size int64) {
	t.Helper()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != size {
		t.Errorf("layout file: %d bytes, want %d", st.Size(), size)
	}
	end := uint64(0)
	for _, s := range segs {
		end = max(end, s.paddr+max(s.memsz, uint64(len(s.data))))
	}
	got := make([]byte, end+0x10000)
	if _, err := f.ReadAt(got, 0); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	want := make([]byte, len(got))
	for _, s := range segs {
		copy(want[s.paddr:], s.data)
	}
	if !bytes.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("layout file: byte at %#x is %#x, want %#x", i, got[i], want[i])
			}
		}
	}
	// Holes: the first data is the lowest segment's page, and nothing
	// follows the highest segment's last page.
	data, err := unix.Seek(int(f.Fd()), 0, unix.SEEK_DATA)
	if err != nil {
		t.Fatal(err)
	}
	if data != int64(segs[0].paddr) {
		t.Errorf("layout file: first data at %#x, want %#x (a hole below the image)", data, segs[0].paddr)
	}
	last := segs[len(segs)-1]
	after := int64(last.paddr+uint64(len(last.data))+4095) &^ 4095
	if d, err := unix.Seek(int(f.Fd()), after, unix.SEEK_DATA); !errors.Is(err, unix.ENXIO) {
		t.Errorf("layout file: data at %#x after the image's last page %#x (err %v), want holes to the end", d, after, err)
	}
}

// testLayout writes a test image of segs to dir and reads its layout.
func testLayout(t *testing.T, dir string, segs []testSeg) (*imageLayout, *os.File) {
	t.Helper()
	img, err := os.Open(writeImage(t, dir, "img", segmentedImage(segs)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	l, err := readLayout(img)
	if err != nil {
		t.Fatal(err)
	}
	return l, img
}

func TestLayoutFile(t *testing.T) {
	dir := t.TempDir()
	segs := testSegs(1)
	l, _ := testLayout(t, dir, segs)
	if l.end != 0x20c000+0x9000 {
		t.Errorf("end %#x, want %#x (the data segment's memory end)", l.end, 0x20c000+0x9000)
	}
	out, err := os.Create(filepath.Join(dir, "ram"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	const size = 64 << 20
	if err := l.writeLayout(out, size); err != nil {
		t.Fatal(err)
	}
	checkLayout(t, out, segs, size)
	// A memory file smaller than the image is refused.
	if err := l.writeLayout(out, 0x200000); err == nil {
		t.Error("a 2 MiB layout of an image ending past it: no error")
	}
}

func TestLayoutRefusesBadImages(t *testing.T) {
	dir := t.TempDir()
	overlap := segmentedImage([]testSeg{{paddr: 0x100000, data: randomBytes(0x2000, 1)}, {paddr: 0x101000, data: randomBytes(0x100, 2)}})
	noNote := sseProbeImage()
	// The note's type, turned into another one.
	i := bytes.Index(noNote, []byte("Xen\x00")) - 4
	binary.LittleEndian.PutUint32(noNote[i:], 99)
	for name, img := range map[string][]byte{"overlap": overlap, "no note": noNote} {
		f, err := os.Open(writeImage(t, dir, "img", img))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readLayout(f); !errors.Is(err, ErrNotImage) {
			t.Errorf("%s: readLayout = %v, want ErrNotImage", name, err)
		}
		f.Close()
	}
}

func TestStubELF(t *testing.T) {
	dir := t.TempDir()
	segs := testSegs(2)
	l, img := testLayout(t, dir, segs)
	stub, err := l.stub()
	if err != nil {
		t.Fatal(err)
	}
	sp := writeImage(t, dir, "stub", stub)
	if err := CheckImage(sp); err != nil {
		t.Fatalf("the stub is not a bootable image: %v", err)
	}
	e, err := elf.NewFile(bytes.NewReader(stub))
	if err != nil {
		t.Fatal(err)
	}
	ie, err := elf.NewFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if e.Entry != ie.Entry || e.Machine != elf.EM_X86_64 || e.Type != elf.ET_EXEC || len(e.Sections) != 0 {
		t.Errorf("stub header: entry %#x machine %v type %v, %d sections; want entry %#x, x86-64, EXEC, none", e.Entry, e.Machine, e.Type, len(e.Sections), ie.Entry)
	}
	var loads, notes int
	for _, p := range e.Progs {
		b, err := io.ReadAll(p.Open())
		if err != nil {
			t.Fatal(err)
		}
		switch p.Type {
		case elf.PT_LOAD:
			loads++
			// The same bytes as the image (and so the layout) at the
			// same address, and few of them.
			if p.Paddr != segs[0].paddr || !bytes.Equal(b, segs[0].data[:len(b)]) || len(b) == 0 || len(b) > stubLoadBytes || p.Memsz != p.Filesz {
				t.Errorf("stub PT_LOAD: %d bytes at %#x (memsz %#x), want up to %d of the image's bytes at %#x", len(b), p.Paddr, p.Memsz, stubLoadBytes, segs[0].paddr)
			}
			if p.Off%4096 != p.Paddr%4096 {
				t.Errorf("stub PT_LOAD: offset %#x not congruent to its address %#x", p.Off, p.Paddr)
			}
		case elf.PT_NOTE:
			notes++
			in := ie.Progs[0]
			want, _ := io.ReadAll(in.Open())
			if !bytes.Equal(b, want) || p.Align != in.Align || p.Off%p.Align != 0 {
				t.Errorf("stub note: %x (align %d), want the image's %x (align %d)", b, p.Align, want, in.Align)
			}
		}
	}
	if loads != 1 || notes != 1 {
		t.Errorf("stub: %d PT_LOAD and %d PT_NOTE, want one of each", loads, notes)
	}
	if len(stub) > 2*4096 {
		t.Errorf("stub: %d bytes, want at most two pages", len(stub))
	}
}
