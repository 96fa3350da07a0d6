// Command exitcode exits with the status given as its argument (default 3).
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	code := 3
	if len(os.Args) > 1 {
		code, _ = strconv.Atoi(os.Args[1])
	}
	fmt.Println("exiting with", code)
	os.Exit(code)
}
