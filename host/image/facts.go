package image

import (
	"debug/elf"
	"debug/gosym"
	"strings"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// networkPackage is the import path of the guest network service; a
// program that links it gets bootabi.FlagNetwork.
const networkPackage = "github.com/gotoro/gotoro/netsvc"

// programFacts reads what the boot block records about the program from
// the executable's pcln table (which a stripped executable keeps, and the
// image loads anyway): its flags (what it links) and the entries of
// runtime.main and main.main. An executable without a readable pcln table
// yields zeros: no flags, no boot-trace breakpoints.
func programFacts(f *elf.File) (flags, runtimeMain, mainMain uint64) {
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return 0, 0, 0
	}
	data, err := pcln.Data()
	if err != nil {
		return 0, 0, 0
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return 0, 0, 0
	}
	for i := range tab.Funcs {
		fn := &tab.Funcs[i]
		switch {
		case fn.Name == "runtime.main":
			runtimeMain = fn.Entry
		case fn.Name == "main.main":
			mainMain = fn.Entry
		case strings.HasPrefix(fn.Name, networkPackage+"."):
			flags |= bootabi.FlagNetwork
		}
	}
	return flags, runtimeMain, mainMain
}
