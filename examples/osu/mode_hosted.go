//go:build !gotoro

package main

// inGuest reports whether the program runs in a gotoro guest.
const inGuest = false
