// Command quiet prints nothing and exits 0: a boot with no console output
// of its own.
package main

func main() {}
