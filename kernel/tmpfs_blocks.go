package kernel

import "github.com/gotoro/gotoro/kernel/mm"

// tmpBlocks is st_blocks of tmpfs node i, in 512-byte units. A file's
// (and a memfd's) are the pages it holds, as tmpfs counts them: a sparse
// file or a punched hole holds none, pages allocated past the end with
// FALLOC_FL_KEEP_SIZE count. They are the pages mapped in the file's
// window, counted by walking its page tables (absent tables are
// skipped, so a small file costs little). Other nodes keep their size's
// count.
func tmpBlocks(i int) int64 {
	n := &tmp.nodes[i]
	if n.mode&tmpModeMask != tmpModeFile {
		return (n.size + 511) / 512
	}
	return int64(mm.Present(tmpData(i), tmpData(i)+tmpFileSpan)) * (pageSize / 512)
}
