// Command stdin reads its standard input: "sum" reads it to the end and
// prints its size and SHA-256; "lines" echoes each line as it arrives and
// says when the input ended.
package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

func main() {
	switch os.Args[1] {
	case "sum":
		h := sha256.New()
		n, err := io.Copy(h, os.Stdin)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Printf("stdin %d bytes sha256 %x\n", n, h.Sum(nil))
	case "lines":
		fmt.Println("ready")
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			fmt.Printf("got: %s\n", sc.Text())
		}
		if err := sc.Err(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("eof")
	}
}
