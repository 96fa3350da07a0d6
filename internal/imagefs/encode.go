//go:build !gotoro

// The packer is host code (gotoro build): a guest never packs a tree, so
// the kernel, which reads the tree through this package, does not link
// fmt, os, path and path/filepath into every program, nor their package
// initializations (docs/boot.md).

package imagefs

import (
	"encoding/binary"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
)

// layout holds where each part of an image goes.
type layout struct {
	entriesOff, childrenOff  uint64
	stringsOff, stringsLen   uint64
	dataOff, dataLen, size   uint64
	pathOff, fileOff         []uint64 // per entry
	parent, firstChild, kids []uint32 // per entry
	children                 []uint32 // the children array
}

// encode lays out and writes the image for t.
func (t *tree) encode() ([]byte, error) {
	nodes := make([]*node, 0, len(t.nodes))
	for _, n := range t.nodes {
		nodes = append(nodes, n)
	}
	slices.SortFunc(nodes, func(a, b *node) int { return strings.Compare(a.path, b.path) })
	if len(nodes) > math.MaxUint32 {
		return nil, fmt.Errorf("%d entries: more than %d", len(nodes), math.MaxUint32)
	}
	l, err := planLayout(nodes)
	if err != nil {
		return nil, err
	}
	img := make([]byte, l.size)
	writeHeader(img, len(nodes), l)
	for i, n := range nodes {
		writeEntry(img[l.entriesOff+uint64(i)*EntrySize:], n, i, l)
		copy(img[l.pathOff[i]:], n.path)
		if err := writeContent(img[l.fileOff[i]:l.fileOff[i]+n.size], n); err != nil {
			return nil, err
		}
	}
	for j, c := range l.children {
		binary.LittleEndian.PutUint32(img[l.childrenOff+uint64(j)*childSize:], c)
	}
	return img, nil
}

// planLayout computes offsets for nodes, sorted by path, starting with "/".
func planLayout(nodes []*node) (*layout, error) {
	n := len(nodes)
	index := make(map[string]uint32, n)
	for i, nd := range nodes {
		index[nd.path] = uint32(i)
	}
	l := &layout{
		pathOff: make([]uint64, n), fileOff: make([]uint64, n),
		parent: make([]uint32, n), firstChild: make([]uint32, n), kids: make([]uint32, n),
	}
	for i, nd := range nodes[1:] {
		p, ok := index[path.Dir(nd.path)]
		if !ok || !nodes[p].isDir() {
			return nil, fmt.Errorf("guest path %s: parent is not a directory", nd.path)
		}
		l.parent[i+1] = p
		l.kids[p]++
	}
	// Children runs follow entry order; filling them in entry order sorts
	// each run by name, because siblings share their path up to the name.
	next := uint32(0)
	for i, nd := range nodes {
		if nd.isDir() {
			l.firstChild[i] = next
			next += l.kids[i]
		}
	}
	l.children = make([]uint32, n-1)
	fill := slices.Clone(l.firstChild)
	for i := 1; i < n; i++ {
		p := l.parent[i]
		l.children[fill[p]] = uint32(i)
		fill[p]++
	}

	l.entriesOff = HeaderSize
	l.childrenOff = l.entriesOff + uint64(n)*EntrySize
	l.stringsOff = alignUp(l.childrenOff + uint64(n-1)*childSize)
	off := l.stringsOff
	for i, nd := range nodes {
		l.pathOff[i] = off
		off += uint64(len(nd.path))
	}
	l.stringsLen = off - l.stringsOff
	l.dataOff = alignUp(off)
	off = l.dataOff
	for i, nd := range nodes {
		off = alignUp(off)
		if !nd.isDir() {
			l.fileOff[i] = off
			off += nd.size
		}
	}
	l.dataLen = alignUp(off) - l.dataOff
	l.size = l.dataOff + l.dataLen
	return l, nil
}

// writeHeader writes the image header.
func writeHeader(img []byte, n int, l *layout) {
	le := binary.LittleEndian
	copy(img[hMagic:], Magic)
	le.PutUint32(img[hVersion:], Version)
	le.PutUint32(img[hEntrySize:], EntrySize)
	le.PutUint64(img[hEntryCount:], uint64(n))
	le.PutUint64(img[hEntriesOff:], l.entriesOff)
	le.PutUint64(img[hChildCount:], uint64(n-1))
	le.PutUint64(img[hChildrenOff:], l.childrenOff)
	le.PutUint64(img[hStringsOff:], l.stringsOff)
	le.PutUint64(img[hStringsLen:], l.stringsLen)
	le.PutUint64(img[hDataOff:], l.dataOff)
	le.PutUint64(img[hDataLen:], l.dataLen)
	le.PutUint64(img[hImageSize:], l.size)
}

// writeEntry writes the entry of node nd, which has index i, into e.
func writeEntry(e []byte, nd *node, i int, l *layout) {
	le := binary.LittleEndian
	name := path.Base(nd.path)
	le.PutUint64(e[ePathOff:], l.pathOff[i])
	le.PutUint32(e[ePathLen:], uint32(len(nd.path)))
	le.PutUint32(e[eNameLen:], uint32(len(name)))
	le.PutUint32(e[eParent:], l.parent[i])
	le.PutUint32(e[eMode:], nd.mode)
	le.PutUint64(e[eSize:], nd.size)
	le.PutUint64(e[eDataOff:], l.fileOff[i])
	le.PutUint64(e[eMtime:], uint64(nd.mtime))
	if nd.isDir() {
		le.PutUint32(e[eFirstChild:], l.firstChild[i])
		le.PutUint32(e[eNumChildren:], l.kids[i])
	}
}

// writeContent fills dst with the content of nd: its symlink target, its
// in-memory content, or the bytes of its host file.
func writeContent(dst []byte, nd *node) error {
	switch {
	case nd.mode&ModeTypeMask == ModeSymlink:
		copy(dst, nd.link)
	case nd.host != "":
		return readHostFile(nd.host, dst)
	default:
		copy(dst, nd.content)
	}
	return nil
}
