// Command oom allocates and touches memory until the guest runs out.
package main

import "fmt"

func main() {
	var keep [][]byte
	for i := 1; ; i++ {
		b := make([]byte, 16<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
		fmt.Println("allocated MiB", i*16)
	}
}
