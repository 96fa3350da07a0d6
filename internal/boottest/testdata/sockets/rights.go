package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"syscall"

	"github.com/gotoro/gotoro/internal/boottest/stress"
)

// Descriptors passed with SCM_RIGHTS over unix stream sockets while data
// flows, writer and reader on different cores: the writer writes a
// checked byte stream with write(2) and, between its chunks, small
// records with sendmsg(2) each carrying the read end of a fresh pipe
// whose write end it keeps (with the record's number written into it).
// The reader knows the plan (the same seeds) and reads with read(2) up to
// the next record, recvmsg(2) across it, or — for one record in five —
// read(2) across it on purpose, which must stop at the record's end and
// close the descriptor. Every descriptor must arrive with the first byte
// of its record (the one read from it names the record), no read may run
// past a record's end, and at the end every pipe's write end must see
// its reader gone (EPIPE): none lost, none leaked.

// rightsItem is one step of a connection's plan: plain bytes written with
// write(2), or a record sent with a descriptor.
type rightsItem struct {
	n      int  // bytes
	record bool // sent with sendmsg and a descriptor
}

// rightsPlan returns connection c's steps, total bytes in all.
func rightsPlan(c, total int) []rightsItem {
	s := stress.NewStream(uint64(700 + c))
	var plan []rightsItem
	for done := 0; done < total; {
		it := rightsItem{n: stress.Chunk(s, 16<<10)}
		if s.Next()%3 == 0 {
			it = rightsItem{n: 1 + int(s.Next()%64), record: true}
		}
		it.n = min(it.n, total-done)
		plan = append(plan, it)
		done += it.n
	}
	return plan
}

// rightsFlow runs n unix connections at once, total bytes each.
func rightsFlow(n, total int) {
	var wg sync.WaitGroup
	records := 0
	for c := 0; c < n; c++ {
		a, b, ok := rawPair("unix")
		if !ok {
			return
		}
		plan := rightsPlan(c, total)
		writeEnds := make(chan []int, 1)
		what := fmt.Sprintf("unix rights %d", c)
		for _, it := range plan {
			if it.record {
				records++
			}
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			stress.Pin(2 * c)
			ends := rightsSend(a, plan, uint64(800+c), what)
			syscall.Close(a) // what is in flight stays with the bytes
			writeEnds <- ends
		}()
		go func() {
			defer wg.Done()
			stress.Pin(2*c + 1)
			rightsReceive(b, plan, uint64(800+c), what)
			syscall.Close(b)
			// Every pipe's reader is gone: the received ends were closed
			// by the reader, the dropped ones by the kernel.
			for i, w := range <-writeEnds {
				_, err := syscall.Write(w, []byte{1})
				stress.Check(what+" descriptor closed", err == syscall.EPIPE, " record ", i, ": write to its pipe: ", err)
				syscall.Close(w)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("unix rights across cores: %d connections × %d KiB, %d descriptors\n", n, total>>10, records)
}

// rightsSend writes plan to fd, the bytes from stream seed, and returns
// the write ends of the pipes whose read ends it sent.
func rightsSend(fd int, plan []rightsItem, seed uint64, what string) []int {
	data := stress.NewStream(seed)
	buf := make([]byte, 16<<10)
	var ends []int
	for _, it := range plan {
		b := buf[:it.n]
		data.Fill(b)
		if !it.record {
			if k, err := (rawFD{fd: fd}).Write(b); !stress.Check(what+" write", k == len(b) && err == nil, k, err) {
				return ends
			}
			continue
		}
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); !stress.Check(what+" pipe2", err == nil, err) {
			return ends
		}
		var tag [8]byte
		binary.LittleEndian.PutUint64(tag[:], uint64(len(ends)))
		syscall.Write(p[1], tag[:])
		k, err := syscall.SendmsgN(fd, b, syscall.UnixRights(p[0]), nil, 0)
		syscall.Close(p[0]) // in flight: the message holds it
		ends = append(ends, p[1])
		if !stress.Check(what+" sendmsg", k == len(b) && err == nil, k, err) {
			return ends
		}
	}
	return ends
}

// rightsReceive reads plan from fd and checks the bytes (stream seed) and
// where each descriptor arrives.
func rightsReceive(fd int, plan []rightsItem, seed uint64, what string) {
	want, sizes := stress.NewStream(seed), stress.NewStream(seed+50)
	var starts []int // each record's first byte
	total := 0
	for _, it := range plan {
		if it.record {
			starts = append(starts, total)
		}
		total += it.n
	}
	buf := make([]byte, 16<<10)
	exp := make([]byte, 16<<10)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	off, k := 0, 0 // bytes read; the next record
	for off < total {
		size := stress.Chunk(sizes, 16<<10)
		next := total // the next record's first byte
		end := total  // and the byte after it
		if k < len(starts) {
			next, end = starts[k], starts[k]+rightsLen(plan, k)
		}
		mode := sizes.Next() % 5 // 0, 1: a read that stops before the next record
		var n int
		var fds []int
		var err error
		msg := false
		switch {
		case next > off && mode < 2:
			// read(2) that stops before the record.
			n, err = syscall.Read(fd, buf[:min(size, next-off)])
		case k < len(starts) && k%5 == 4:
			// read(2) across the record on purpose: it ends with the
			// record and its descriptor is closed.
			n, err = syscall.Read(fd, buf[:size])
		default:
			var oobn int
			msg = true
			n, oobn, _, _, err = syscall.Recvmsg(fd, buf[:size], oob, 0)
			if err == nil && oobn > 0 {
				fds = rightsFDs(oob[:oobn], what)
			}
		}
		if !stress.Check(what+" read", err == nil && n > 0, " at ", off, " n=", n, " err=", err) {
			return
		}
		want.Fill(exp[:n])
		if !bytes.Equal(buf[:n], exp[:n]) {
			stress.Check(what+" data", false, ": bytes ", off, "..", off+n, " differ from what was written")
			return
		}
		crossed := off+n > next
		stress.Check(what+" read ends with the record", !crossed || off+n <= end, " read ", off, "..", off+n, ", record ", k, " at ", next, "..", end)
		if len(fds) > 0 || crossed && msg {
			// A descriptor arrived, or a recvmsg took the record's bytes
			// without one.
			if stress.Check(what+" descriptor with its record", crossed && len(fds) == 1, " read ", off, "..", off+n, ", record ", k, " at ", next, ": ", len(fds), " descriptors") {
				var tag [8]byte
				m, err := syscall.Read(fds[0], tag[:])
				got := binary.LittleEndian.Uint64(tag[:])
				stress.Check(what+" descriptor order", m == 8 && err == nil && got == uint64(k), " record ", k, " got the pipe of record ", got, " (", m, err, ")")
			}
			for _, d := range fds {
				syscall.Close(d)
			}
		}
		if crossed {
			k++
		}
		off += n
	}
	var one [1]byte
	n, err := syscall.Read(fd, one[:])
	stress.Check(what+" end of file", n == 0 && err == nil, n, err)
}

// rightsLen returns the length of plan's record k.
func rightsLen(plan []rightsItem, k int) int {
	for _, it := range plan {
		if it.record {
			if k == 0 {
				return it.n
			}
			k--
		}
	}
	return 0
}

// rightsFDs returns the descriptors of the SCM_RIGHTS control messages
// in oob.
func rightsFDs(oob []byte, what string) []int {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if !stress.Check(what+" control message", err == nil, err) {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		f, err := syscall.ParseUnixRights(&m)
		if stress.Check(what+" SCM_RIGHTS", err == nil, err) {
			fds = append(fds, f...)
		}
	}
	return fds
}
