package kernel

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// freshSafeMappers are the kernel functions allowed to install a user
// page-table entry, each with why it keeps vmFresh honest: vmaRemove
// skips the page-table walk and the shootdown of a VMA marked fresh, so a
// page mapped into one without clearing the mark would stay mapped after
// munmap or MAP_FIXED (old data shown, a freed page still reachable).
var freshSafeMappers = map[string]string{
	"mapPage":           "the primitive: its callers are checked",
	"mapZeroPage":       "the primitive: its callers are checked",
	"unshareZero":       "replaces zero-page entries, which only a fault (vmaTouch) maps",
	"unshareZeroPage":   "the primitive: its callers are checked",
	"anonFault":         "clears the mark first (vmaTouch), under vmLock for reading or the big lock",
	"mmap":              "MAP_POPULATE: the VMA is made without the mark",
	"buildInitialStack": "the stack's VMA is made without the mark (vmaAdd)",
	"tmpMapPage":        "/tmp's region, outside every VMA (userSpan)",
	"fileFault":         "a file mapping, never marked",
	"fuseSharedFault":   "a file mapping, never marked",
}

// TestFreshMappers fails when a function of the kernel not in
// freshSafeMappers installs a user page: it calls mm.SetLeaf, mm.PTE with
// create set, or one of the functions that do (mapPage, mapZeroPage,
// unshareZero, unshareZeroPage). A new path that backs anonymous memory
// must go through anonFault or clear vmFresh itself, then be listed.
func TestFreshMappers(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	mapper := map[string]bool{"mapPage": true, "mapZeroPage": true, "unshareZero": true, "unshareZeroPage": true}
	found := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				switch f := call.Fun.(type) {
				case *ast.Ident:
					if mapper[f.Name] {
						found[fn.Name.Name] = fset.Position(call.Pos()).String()
					}
				case *ast.SelectorExpr:
					pkg, ok := f.X.(*ast.Ident)
					if !ok || pkg.Name != "mm" {
						break
					}
					create := f.Sel.Name == "PTE" && len(call.Args) == 2 && !isFalse(call.Args[1])
					if f.Sel.Name == "SetLeaf" || create {
						found[fn.Name.Name] = fset.Position(call.Pos()).String()
					}
				}
				return true
			})
		}
	}
	var bad []string
	for fn, pos := range found {
		if _, ok := freshSafeMappers[fn]; !ok {
			bad = append(bad, fn+" ("+pos+")")
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("%s installs a user page but is not in freshSafeMappers: make it clear vmFresh (or go through anonFault), then list it", b)
	}
	for fn := range freshSafeMappers {
		if _, ok := found[fn]; !ok {
			t.Errorf("freshSafeMappers lists %s, which installs no page: drop it", fn)
		}
	}
}

func isFalse(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "false"
}
